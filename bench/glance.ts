// Glance image data: upload and download throughput through the real HTTP path (PUT …/file
// chunked, MD5 + SHA-512 + format inspection + file write; GET …/file), and how much the
// process's RSS grows during a 512 MiB upload (the data is streamed, never held whole).
// Run: `node dist/bench/glance.js`, or `npm run bench -- glance`.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCloud } from '../src/cloud.js';

interface Figure {
  name: string;
  value: number;
  unit: string;
}

const MiB = 1024 * 1024;
const SIZE = 512 * MiB;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function put(port: number, path: string, token: string, chunk: Buffer, total: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'PUT',
        path,
        headers: { 'X-Auth-Token': token, 'Content-Type': 'application/octet-stream' },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    let sent = 0;
    const pump = () => {
      while (sent < total) {
        sent += chunk.length;
        if (!req.write(chunk)) return req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

function get(port: number, path: string, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, headers: { 'X-Auth-Token': token } }, (res) => {
      let n = 0;
      res.on('data', (d: Buffer) => {
        n += d.length;
      });
      res.on('end', () => resolve(n));
    })
      .on('error', reject)
      .end();
  });
}

export async function runGlanceBench(): Promise<Figure[]> {
  const offset = (await freePort()) - 5000;
  const dataDir = mkdtempSync(join(tmpdir(), 'pocketstack-bench-glance-'));
  const cloud = await startCloud({
    dataDir,
    ephemeral: true,
    portOffset: offset > 0 && offset + 9696 < 65536 ? offset : 31000,
  });
  try {
    const auth = await fetch(`${cloud.endpoints.identity}/auth/tokens`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        auth: {
          identity: {
            methods: ['password'],
            password: {
              user: { name: 'admin', domain: { name: 'Default' }, password: cloud.credentials.admin },
            },
          },
          scope: { project: { name: 'admin', domain: { name: 'Default' } } },
        },
      }),
    });
    const token = auth.headers.get('x-subject-token') ?? '';
    const port = cloud.ports.image;
    const chunk = randomBytes(MiB);
    const figures: Figure[] = [];
    let rssGrowth = 0;
    for (const round of [1, 2]) {
      const created = await fetch(`${cloud.endpoints.image}/v2/images`, {
        method: 'POST',
        headers: { 'X-Auth-Token': token, 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: `bench-${round}`, disk_format: 'raw', container_format: 'bare' }),
      });
      const id = ((await created.json()) as { id: string }).id;
      const rss0 = process.memoryUsage().rss;
      let peak = rss0;
      const sampler = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().rss);
      }, 20);
      const t0 = performance.now();
      const status = await put(port, `/v2/images/${id}/file`, token, chunk, SIZE);
      const upSeconds = (performance.now() - t0) / 1000;
      clearInterval(sampler);
      if (status !== 204) throw new Error(`upload answered ${status}`);
      const t1 = performance.now();
      const got = await get(port, `/v2/images/${id}/file`, token);
      const downSeconds = (performance.now() - t1) / 1000;
      if (got !== SIZE) throw new Error(`download gave ${got} bytes`);
      // The first round warms the JIT and the page cache; the second is reported.
      if (round === 2) {
        figures.push({
          name: 'upload 512 MiB (PUT …/file, md5+sha512+inspect+write)',
          value: SIZE / MiB / upSeconds,
          unit: 'MiB/s',
        });
        figures.push({
          name: 'download 512 MiB (GET …/file)',
          value: SIZE / MiB / downSeconds,
          unit: 'MiB/s',
        });
        rssGrowth = (peak - rss0) / MiB;
      }
    }
    figures.push({ name: 'RSS growth during a 512 MiB upload', value: rssGrowth, unit: 'MiB' });
    return figures;
  } finally {
    await cloud.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export const headline = (r: Figure[]) =>
  `glance: upload ${r[0].value.toFixed(0)} MiB/s, download ${r[1].value.toFixed(0)} MiB/s, RSS +${r[2].value.toFixed(0)} MiB during a 512 MiB upload`;

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '')) {
  for (const f of await runGlanceBench()) console.log(`${f.name}: ${f.value.toFixed(1)} ${f.unit}`);
}
