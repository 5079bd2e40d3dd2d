// Keystone and start-up: `pocketstack up` to first token (cold start of a fresh ephemeral cloud,
// as a separate process), token issue and validation latency over HTTP on loopback, and the idle
// RSS of the whole cloud process.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

interface Figure {
  name: string;
  value: number;
  unit: string;
}

const root = new URL('../../', import.meta.url).pathname;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

export async function runKeystoneBench(): Promise<Figure[]> {
  // An offset whose identity port is free (the others are very likely free too on a bench machine).
  const offset = (await freePort()) - 5000;
  const safeOffset = offset > 0 && offset + 9696 < 65536 ? offset : 30000;
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [`${root}bin/pocketstack`, 'up', '--ephemeral', '--port-offset', String(safeOffset)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  const ready = await new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (/\nlogs: /.test(out)) resolve(performance.now() - t0);
    });
    child.once('exit', (c) => reject(new Error(`pocketstack exited ${c}: ${out}`)));
  });
  const dataDir = /data dir ([^)]+)\)/.exec(out)?.[1] ?? '';
  const password = /OS_PASSWORD=(\S+)/.exec(readFileSync(`${dataDir}/keystonerc_admin`, 'utf8'))?.[1] ?? '';
  const url = `http://127.0.0.1:${5000 + safeOffset}/v3/auth/tokens`;
  const body = JSON.stringify({
    auth: {
      identity: {
        methods: ['password'],
        password: { user: { name: 'admin', domain: { name: 'Default' }, password } },
      },
      scope: { project: { name: 'admin', domain: { name: 'Default' } } },
    },
  });
  const issue = async () => {
    const r = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
    if (r.status !== 201) throw new Error(`token issue: ${r.status}`);
    await r.arrayBuffer();
    return r.headers.get('x-subject-token') ?? '';
  };
  const token = await issue();
  const firstToken = performance.now() - t0;

  const issueMs: number[] = [];
  for (let i = 0; i < 300; i++) {
    const s = performance.now();
    await issue();
    issueMs.push(performance.now() - s);
  }
  const validateMs: number[] = [];
  for (let i = 0; i < 300; i++) {
    const s = performance.now();
    const r = await fetch(url, { headers: { 'X-Auth-Token': token, 'X-Subject-Token': token } });
    await r.arrayBuffer();
    validateMs.push(performance.now() - s);
  }
  issueMs.sort((a, b) => a - b);
  validateMs.sort((a, b) => a - b);
  await new Promise((r) => setTimeout(r, 2000));
  const rss = rssMb(child.pid ?? 0);
  child.kill('SIGINT');
  await new Promise((r) => child.once('exit', r));
  return [
    { name: 'pocketstack up → ready line', value: Math.round(ready), unit: 'ms' },
    { name: 'pocketstack up → first token', value: Math.round(firstToken), unit: 'ms' },
    { name: 'token issue p50', value: percentile(issueMs, 50), unit: 'ms' },
    { name: 'token issue p99', value: percentile(issueMs, 99), unit: 'ms' },
    { name: 'token validate p50', value: percentile(validateMs, 50), unit: 'ms' },
    { name: 'token validate p99', value: percentile(validateMs, 99), unit: 'ms' },
    { name: 'idle RSS of the cloud process', value: Math.round(rss), unit: 'MB' },
  ];
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  for (const f of await runKeystoneBench()) console.log(`${f.name}: ${f.value} ${f.unit}`);
}
