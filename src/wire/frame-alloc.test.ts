import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allocFrame, copyFrame } from './frame-alloc.js';

test('frames from the pool are zeroed, independent and aligned', () => {
  const a = allocFrame(98);
  const b = allocFrame(98);
  assert.ok(a.every((x) => x === 0));
  a.fill(0xff);
  assert.ok(
    b.every((x) => x === 0),
    'writing one frame never touches another',
  );
  assert.equal(a.byteOffset % 8, 0);
  assert.equal(b.byteOffset % 8, 0);
  const many = Array.from({ length: 2000 }, (_, i) => {
    const f = allocFrame(100);
    f[0] = i & 0xff;
    return f;
  });
  assert.ok(
    many.every((f, i) => f[0] === (i & 0xff)),
    'frames survive chunk changes',
  );
  assert.equal(allocFrame(20000).byteLength, 20000);
});

test('copyFrame copies a range like slice()', () => {
  const src = Uint8Array.from({ length: 200 }, (_, i) => i);
  const c = copyFrame(src, 14, 114);
  assert.deepEqual(c, src.slice(14, 114));
  c[0] = 0;
  assert.equal(src[14], 14);
});
