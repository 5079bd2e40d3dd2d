// `pocketstack image make-cirros`: Debian's qemu-img reads the file as CirrOS 0.3.4's qcow2.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { makeCirros } from './image.js';

it('make-cirros writes a qcow2 that qemu-img info and check accept, 39.2 MiB virtual', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cirros-'));
  try {
    const path = join(dir, 'cirros-0.3.4-x86_64-disk.img');
    makeCirros(path);
    const info = JSON.parse(execFileSync('qemu-img', ['info', '--output=json', path], { encoding: 'utf8' }));
    assert.equal(info.format, 'qcow2');
    assert.equal(info['virtual-size'], 41126400);
    assert.match(
      execFileSync('qemu-img', ['info', path], { encoding: 'utf8' }),
      /virtual size: 39\.2 MiB \(41126400 bytes\)/,
    );
    assert.match(
      execFileSync('qemu-img', ['check', path], { encoding: 'utf8' }),
      /No errors were found on the image/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
