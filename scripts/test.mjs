#!/usr/bin/env node
// `npm test`: install the system tools the tests drive (real OpenStack clients, tshark, …),
// typecheck and build, lint, then run every unit and e2e test with node's test runner.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDebianTools } from './system-deps.mjs';

const root = new URL('..', import.meta.url).pathname;
const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

ensureDebianTools();
run('npx', ['tsc', '-p', 'tsconfig.json']);
run(process.execPath, ['scripts/bundle.mjs']);
run('npx', ['biome', 'check', '--diagnostic-level=error']);

const only = process.argv.slice(2);
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.js')) files.push(p);
  }
};
for (const d of ['dist/src', 'dist/tests']) {
  try {
    walk(join(root, d));
  } catch {}
}
const selected = only.length ? files.filter((f) => only.some((o) => f.includes(o))) : files;
run(process.execPath, [
  '--enable-source-maps',
  '--test',
  '--test-concurrency=4',
  '--test-reporter=spec',
  ...selected,
]);
