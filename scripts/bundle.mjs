// Bundles the compiled CLI (dist/src/cli/main.js, everything it imports of ours and the npm
// packages it uses) into one file, dist/pocketstack.mjs, which bin/pocketstack runs: Node 20
// spends ~150 ms resolving and compiling 300+ separate ES modules at start-up and ~130 ms more
// resolving and pre-parsing the CommonJS packages (fastify, ajv, yaml …); one file loads in
// ~80 ms. better-sqlite3 stays external (a native addon), as do ws's optional native helpers.
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
await build({
  entryPoints: [`${root}dist/src/cli/main.js`],
  outfile: `${root}dist/pocketstack.mjs`,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['better-sqlite3', 'bufferutil', 'utf-8-validate'],
  // The bundled CommonJS packages call require() for Node's built-ins.
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
  sourcemap: true,
  logLevel: 'warning',
});
