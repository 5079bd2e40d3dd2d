// Nova: server create → ACTIVE over the compute API (keystone token, Glance image, Neutron port
// per server, scheduler, conductor, nova-compute on the bus), one at a time for the latency and
// 100 at once for the throughput, on an in-process cloud whose one compute host is big enough
// (128 GB) that placement and physical memory never refuse. Runnable alone:
// `node dist/bench/nova.js`.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCloud } from '../src/cloud.js';
import { allInOne } from '../src/sim/layout.js';
import { freePortOffset } from '../tests/e2e/harness.js';
import { adminToken, apiCaller } from './admin-token.js';

interface Figure {
  name: string;
  value: number;
  unit: string;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

export async function runNovaBench(): Promise<Figure[]> {
  const dir = mkdtempSync(join(tmpdir(), 'nova-bench-'));
  const layout = allInOne();
  layout.hosts[0] = { ...layout.hosts[0], ramMb: 128 * 1024, vcpus: 64 };
  const cloud = await startCloud({
    dataDir: dir,
    ephemeral: true,
    portOffset: await freePortOffset(),
    layout,
  });
  const base = (port: number) => `http://127.0.0.1:${port}`;
  try {
    const { token, projectId: project } = await adminToken(cloud);
    const call = apiCaller(token);
    const nova = `${base(cloud.ports.compute)}/v2.1`;
    const neutron = `${base(cloud.ports.network)}/v2.0`;
    const glance = `${base(cloud.ports.image)}/v2`;

    // Room for 130 servers and their ports.
    await call(`${nova}/os-quota-sets/${project}`, 'PUT', {
      quota_set: { instances: 500, cores: 500, ram: 1_000_000 },
    });
    await call(`${neutron}/quotas/${project}`, 'PUT', { quota: { port: 1000 } });
    const net = (await call(`${neutron}/networks`, 'POST', { network: { name: 'bench' } })).network
      .id as string;
    await call(`${neutron}/subnets`, 'POST', {
      subnet: { network_id: net, cidr: '10.20.0.0/22', ip_version: 4, name: 'bench' },
    });
    const img = join(dir, 'disk.img');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', img, '40M']);
    const image = (await call(`${glance}/images`, 'POST', {
      name: 'cirros',
      disk_format: 'qcow2',
      container_format: 'bare',
    })) as unknown as { id: string };
    await call(`${glance}/images/${image.id}/file`, 'PUT', readFileSync(img), 'application/octet-stream');

    const create = async (name: string) =>
      (
        await call(`${nova}/servers`, 'POST', {
          server: { name, imageRef: image.id, flavorRef: '1', networks: [{ uuid: net }] },
        })
      ).server.id as string;
    const active = async (id: string) => {
      for (;;) {
        const s = (await call(`${nova}/servers/${id}`)).server;
        if (s.status === 'ACTIVE') return;
        if (s.status === 'ERROR') throw new Error(`server ${id} went ERROR: ${JSON.stringify(s.fault)}`);
        await new Promise((r) => setImmediate(r));
      }
    };

    // Latency: one server at a time, POST until GET shows ACTIVE (what `--wait` would see at once).
    const lat: number[] = [];
    for (let i = 0; i < 30; i++) {
      const t = performance.now();
      await active(await create(`one-${i}`));
      lat.push(performance.now() - t);
    }
    lat.sort((a, b) => a - b);

    // Throughput: 100 creates in flight at once, until all are ACTIVE.
    const t0 = performance.now();
    const ids = await Promise.all(Array.from({ length: 100 }, (_, i) => create(`many-${i}`)));
    await Promise.all(ids.map(active));
    const wall = performance.now() - t0;
    const list0 = performance.now();
    const listed = (await call(`${nova}/servers/detail`)) as unknown as { servers: unknown[] };
    const listMs = performance.now() - list0;
    return [
      {
        name: 'server create → ACTIVE, one at a time (p50)',
        value: Number(percentile(lat, 50).toFixed(2)),
        unit: 'ms',
      },
      {
        name: 'server create → ACTIVE, one at a time (p99)',
        value: Number(percentile(lat, 99).toFixed(2)),
        unit: 'ms',
      },
      { name: '100 servers created at once → all ACTIVE', value: Math.round(wall), unit: 'ms' },
      {
        name: 'throughput, 100 servers at once',
        value: Number((100 / (wall / 1000)).toFixed(1)),
        unit: 'servers/s',
      },
      {
        name: `GET /servers/detail with ${listed.servers.length} servers`,
        value: Number(listMs.toFixed(1)),
        unit: 'ms',
      },
    ];
  } finally {
    await cloud.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`)
  for (const f of await runNovaBench()) console.log(`${f.name}: ${f.value} ${f.unit}`);
