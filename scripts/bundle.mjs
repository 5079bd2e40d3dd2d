// Bundles the compiled CLI (dist/src/cli/main.js and everything it imports of ours) into one
// file, dist/pocketstack.mjs, which bin/pocketstack runs: Node 20 spends ~150 ms resolving and
// compiling 300+ separate ES modules at start-up, one file loads in a fraction of that. npm
// packages stay external (loaded from node_modules as usual).
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
await build({
  entryPoints: [`${root}dist/src/cli/main.js`],
  outfile: `${root}dist/pocketstack.mjs`,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});
