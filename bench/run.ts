// `npm run bench [-- NAME…]`: runs every bench/<name>.ts (or the named ones) and prints one
// table of figures with the machine's description, ready for docs/benchmarks.md. Each bench
// module exports `run<Name>Bench(): Promise<{name, value, unit}[]>`.
import { readdirSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { basename } from 'node:path';

interface Figure {
  name: string;
  value: number;
  unit: string;
}

const here = new URL('.', import.meta.url);
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const modules = readdirSync(here)
  .filter((f) => f.endsWith('.js') && f !== 'run.js' && !f.endsWith('.test.js'))
  .map((f) => basename(f, '.js'))
  .filter((n) => wanted.length === 0 || wanted.includes(n))
  .sort();

const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${process.platform}`;
console.log(`machine: ${machine}`);
const rows: string[] = [];
const headlines: string[] = [];
for (const name of modules) {
  const mod = (await import(new URL(`${name}.js`, here).href)) as Record<string, unknown>;
  const fn = Object.entries(mod).find(([k, v]) => /^run\w*Bench$/.test(k) && typeof v === 'function')?.[1] as
    | (() => Promise<Figure[]>)
    | undefined;
  if (!fn) continue;
  console.log(`\n## ${name}`);
  const figures = await fn();
  for (const f of figures) {
    const value = Number.isInteger(f.value) ? f.value.toLocaleString('en-US') : f.value.toFixed(3);
    console.log(`${f.name}: ${value} ${f.unit}`);
    rows.push(`| ${name} | ${f.name} | ${value} ${f.unit} |`);
  }
  // A bench may name its one summary figure; those lines end the output.
  if (typeof mod.headline === 'function') headlines.push((mod.headline as (r: Figure[]) => string)(figures));
}
console.log(`\n| bench | figure | value |\n|---|---|---|\n${rows.join('\n')}\n`);
for (const h of headlines) console.log(h);
