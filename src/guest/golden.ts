// Golden files of the guest tests (testdata/*.golden): compared byte for byte, rewritten with
// UPDATE_GOLDEN=1 (or created when missing) after a reviewed change.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const here = new URL('../../../src/guest/testdata/', import.meta.url).pathname;

export function golden(name: string, actual: string): void {
  const path = join(here, `${name}.golden`);
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(path)) {
    mkdirSync(here, { recursive: true });
    writeFileSync(path, actual);
    return;
  }
  assert.equal(actual, readFileSync(path, 'utf8'), `golden ${name} (UPDATE_GOLDEN=1 to accept)`);
}
