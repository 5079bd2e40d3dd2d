import assert from 'node:assert/strict';
import { test } from 'node:test';
import { adjust32, checksumReplace16, internetChecksum, replace16 } from './checksum.js';

test('RFC 1071 example sums to the documented value', () => {
  // RFC 1071 section 3: bytes 00 01 f2 03 f4 f5 f6 f7 have one's-complement sum ddf2.
  const b = Uint8Array.of(0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7);
  assert.equal(internetChecksum(b, 0, b.length), ~0xddf2 & 0xffff);
});

test('odd length pads with a zero byte', () => {
  assert.equal(internetChecksum(Uint8Array.of(0x12, 0x34, 0x56), 0, 3), ~(0x1234 + 0x5600) & 0xffff);
});

test('incremental updates agree with a full recomputation', () => {
  let seed = 0x9e3779b9;
  const rnd = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return seed & 0xff;
  };
  for (let round = 0; round < 500; round++) {
    const b = Uint8Array.from({ length: 24 }, rnd);
    b[22] = 0;
    b[23] = 0;
    const c = internetChecksum(b, 0, 24);
    b[22] = c >>> 8;
    b[23] = c & 0xff;
    replace16(b, 4, (rnd() << 8) | rnd(), 22);
    assert.equal(internetChecksum(b, 0, 24), 0, 'replace16 keeps the sum valid');
    const old = ((b[8] << 24) | (b[9] << 16) | (b[10] << 8) | b[11]) >>> 0;
    const next = ((rnd() << 24) | (rnd() << 16) | (rnd() << 8) | rnd()) >>> 0;
    b[8] = next >>> 24;
    b[9] = (next >>> 16) & 0xff;
    b[10] = (next >>> 8) & 0xff;
    b[11] = next & 0xff;
    adjust32(b, 22, old, next);
    assert.equal(internetChecksum(b, 0, 24), 0, 'adjust32 keeps the sum valid');
  }
});

test('a zero UDP checksum stays zero (no checksum) under NAT', () => {
  const b = Uint8Array.of(0, 0, 0x12, 0x34, 0, 0);
  replace16(b, 2, 0x4321, 4, true);
  assert.deepEqual([...b.subarray(4)], [0, 0]);
  assert.equal(checksumReplace16(0x1234, 0x0001, 0x0002), 0x1233);
});
