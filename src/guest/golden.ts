// Golden files of the guest tests (testdata/*.golden): compared byte for byte, rewritten with
// UPDATE_GOLDEN=1 (or created when missing) after a reviewed change.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A golden-file check over the `.golden` files of `dir` (other folders' tests use it too). */
export function goldenIn(dir: string): (name: string, actual: string) => void {
  return (name, actual) => {
    const path = join(dir, `${name}.golden`);
    if (process.env.UPDATE_GOLDEN === '1' || !existsSync(path)) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(path, actual);
      return;
    }
    assert.equal(actual, readFileSync(path, 'utf8'), `golden ${name} (UPDATE_GOLDEN=1 to accept)`);
  };
}

export const golden = goldenIn(new URL('../../../src/guest/testdata/', import.meta.url).pathname);
