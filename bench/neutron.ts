// Neutron over HTTP on loopback, as a client sees it: port create latency and throughput with
// 1, 4 and 8 concurrent clients (each a keep-alive connection sending one request at a time),
// add_router_interface latency, and GET /ports with 5,000 ports. Afterwards every acknowledged
// port must be listed, and nothing else. Runnable alone: `node dist/bench/neutron.js`.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCloud } from '../src/cloud.js';
import { freePortOffset } from '../tests/e2e/harness.js';
import { adminToken } from './admin-token.js';

interface Figure {
  name: string;
  value: number;
  unit: string;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

export async function runNeutronBench(): Promise<Figure[]> {
  const dir = mkdtempSync(join(tmpdir(), 'neutron-bench-'));
  const cloud = await startCloud({ dataDir: dir, ephemeral: true, portOffset: await freePortOffset() });
  const figures: Figure[] = [];
  try {
    const { token, projectId: project } = await adminToken(cloud);
    const base = `${cloud.endpoints.network}/v2.0`;
    let errors = 0;
    const call = async (method: string, path: string, body?: unknown) => {
      const r = await fetch(`${base}${path}`, {
        method,
        headers: { 'X-Auth-Token': token, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await r.text();
      if (r.status >= 400) errors++;
      return {
        status: r.status,
        body: text ? (JSON.parse(text) as Record<string, Record<string, unknown>>) : {},
      };
    };

    // Neutron's default port quota (500) would refuse most of the bench.
    await call('PUT', `/quotas/${project}`, { quota: { port: -1, network: -1, subnet: -1 } });
    const net = (await call('POST', '/networks', { network: { name: 'bench' } })).body.network.id as string;
    await call('POST', '/subnets', { subnet: { network_id: net, ip_version: 4, cidr: '10.0.0.0/18' } });
    // Warm-up (JIT, prepared statements).
    for (let i = 0; i < 100; i++) await call('POST', '/ports', { port: { network_id: net } });
    const acknowledged = new Set<string>();
    for (const clients of [1, 4, 8]) {
      const perClient = clients === 1 ? 500 : 1000 / clients;
      const latencies: number[] = [];
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: clients }, async () => {
          for (let i = 0; i < perClient; i++) {
            const s = performance.now();
            const r = await call('POST', '/ports', { port: { network_id: net, name: `c${clients}-${i}` } });
            latencies.push(performance.now() - s);
            if (r.status === 201) acknowledged.add(r.body.port.id as string);
          }
        }),
      );
      const seconds = (performance.now() - t0) / 1000;
      latencies.sort((a, b) => a - b);
      figures.push(
        { name: `port create p50, ${clients} client(s)`, value: percentile(latencies, 50), unit: 'ms' },
        { name: `port create p99, ${clients} client(s)`, value: percentile(latencies, 99), unit: 'ms' },
        {
          name: `ports/s, ${clients} client(s)`,
          value: Math.round(latencies.length / seconds),
          unit: 'ports/s',
        },
      );
    }
    figures.push({ name: 'HTTP errors while creating ports', value: errors, unit: 'responses' });
    const listed = (await call('GET', `/ports?network_id=${net}&fields=id&fields=name`)).body
      .ports as unknown as {
      id: string;
      name: string;
    }[];
    const benchPorts = listed.filter((p) => p.name.startsWith('c'));
    const missing = [...acknowledged].filter((id) => !benchPorts.some((p) => p.id === id)).length;
    const extra = benchPorts.length - (acknowledged.size - missing);
    figures.push(
      { name: 'acknowledged ports missing from the list', value: missing, unit: 'ports' },
      { name: 'listed ports never acknowledged', value: extra, unit: 'ports' },
    );

    // add_router_interface: one router, 30 networks.
    const router = (await call('POST', '/routers', { router: { name: 'r' } })).body.router.id as string;
    const ifLat: number[] = [];
    for (let i = 0; i < 30; i++) {
      const n = (await call('POST', '/networks', { network: { name: `rn${i}` } })).body.network.id as string;
      const s = (
        await call('POST', '/subnets', { subnet: { network_id: n, ip_version: 4, cidr: `10.1.${i}.0/24` } })
      ).body.subnet.id as string;
      const t = performance.now();
      await call('PUT', `/routers/${router}/add_router_interface`, { subnet_id: s });
      ifLat.push(performance.now() - t);
    }
    ifLat.sort((a, b) => a - b);
    figures.push(
      { name: 'add_router_interface p50', value: percentile(ifLat, 50), unit: 'ms' },
      { name: 'add_router_interface p99', value: percentile(ifLat, 99), unit: 'ms' },
    );

    // 5,000 ports in all, then the list a client asks for.
    const have = (await call('GET', '/ports?fields=id')).body.ports as unknown as unknown[];
    for (let left = 5000 - have.length; left > 0; left -= 200)
      await call('POST', '/ports', {
        ports: Array.from({ length: Math.min(200, left) }, () => ({ network_id: net })),
      });
    const listLat: number[] = [];
    let count = 0;
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      const r = await call('GET', '/ports');
      listLat.push(performance.now() - t);
      count = (r.body.ports as unknown as unknown[]).length;
    }
    listLat.sort((a, b) => a - b);
    figures.push({
      name: `GET /ports with ${count} ports (median of 5)`,
      value: percentile(listLat, 50),
      unit: 'ms',
    });
  } finally {
    await cloud.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return figures;
}

export function headline(f: Figure[]): string {
  const get = (n: string) => f.find((x) => x.name === n)?.value ?? Number.NaN;
  return `neutron: port create p50 ${get('port create p50, 1 client(s)').toFixed(2)} ms, ${get('ports/s, 4 client(s)')} ports/s with 4 clients`;
}

if (process.argv[1]?.endsWith('/neutron.js'))
  for (const f of await runNeutronBench())
    console.log(`${f.name}: ${Number.isInteger(f.value) ? f.value : f.value.toFixed(3)} ${f.unit}`);
