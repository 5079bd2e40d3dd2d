// The seed scenario through pocketstack's own HTTP API (no Python client start-up): an image,
// vxlan10 and vxlan11 with their subnets, cirros-vm1/vm2 on vxlan10 and vm3 on vxlan11 until
// ACTIVE (Nova waiting for network-vif-plugged from the Open vSwitch agent), router10_11 with its
// gateway and both interfaces; then the time from the router's last interface to vm1's first
// echo reply from vm3 (ttl=63), and from vm2's create to vm1's first reply from it. Realtime
// pacing, as `pocketstack up` runs. Runnable alone: `node dist/bench/seed-scenario.js`.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeCirros } from '../src/cli/image.js';
import { domainOf } from '../src/cli/vm-command.js';
import { startCloud } from '../src/cloud.js';
import { freePortOffset } from '../tests/e2e/harness.js';
import { adminToken, apiCaller } from './admin-token.js';

interface Figure {
  name: string;
  value: number;
  unit: string;
}

export async function runSeedScenarioBench(): Promise<Figure[]> {
  const dir = mkdtempSync(join(tmpdir(), 'seed-bench-'));
  const cloud = await startCloud({ dataDir: dir, ephemeral: true, portOffset: await freePortOffset() });
  try {
    const t0 = performance.now();
    const { token } = await adminToken(cloud);
    const call = apiCaller(token);
    const nova = `${cloud.endpoints.compute}`;
    const neutron = `${cloud.endpoints.network}/v2.0`;
    const glance = `${cloud.endpoints.image}/v2`;

    const file = makeCirros(join(dir, 'cirros.img')).path;
    const image = (await call(`${glance}/images`, 'POST', {
      name: 'cirros-0.3.4-x86_64',
      disk_format: 'qcow2',
      container_format: 'bare',
      visibility: 'public',
    })) as unknown as { id: string };
    await call(`${glance}/images/${image.id}/file`, 'PUT', readFileSync(file), 'application/octet-stream');
    const subnets: Record<number, string> = {};
    const nets: Record<number, string> = {};
    for (const n of [10, 11]) {
      nets[n] = (await call(`${neutron}/networks`, 'POST', { network: { name: `vxlan${n}` } })).network
        .id as string;
      subnets[n] = (
        await call(`${neutron}/subnets`, 'POST', {
          subnet: {
            network_id: nets[n],
            cidr: `172.16.${n}.0/24`,
            ip_version: 4,
            name: `subnet172_16_${n}_0`,
          },
        })
      ).subnet.id as string;
    }
    const created: Record<string, number> = {};
    const boot = async (name: string, net: number) => {
      created[name] = performance.now();
      const id = (
        await call(`${nova}/servers`, 'POST', {
          server: { name, imageRef: image.id, flavorRef: '1', networks: [{ uuid: nets[net] }] },
        })
      ).server.id as string;
      for (;;) {
        const s = (await call(`${nova}/servers/${id}`)).server;
        if (s.status === 'ACTIVE') return s;
        if (s.status === 'ERROR') throw new Error(`${name} went ERROR: ${JSON.stringify(s.fault)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const servers = await Promise.all([
      boot('cirros-vm1', 10),
      boot('cirros-vm2', 10),
      boot('cirros-vm3', 11),
    ]);
    const ip = (s: Record<string, unknown>) =>
      Object.values(s.addresses as Record<string, { addr: string }[]>)[0][0].addr;
    const router = (await call(`${neutron}/routers`, 'POST', { router: { name: 'router10_11' } })).router
      .id as string;
    const pub = ((await call(`${neutron}/networks?name=public`)) as unknown as { networks: { id: string }[] })
      .networks[0].id;
    await call(`${neutron}/routers/${router}`, 'PUT', {
      router: { external_gateway_info: { network_id: pub } },
    });
    for (const n of [10, 11])
      await call(`${neutron}/routers/${router}/add_router_interface`, 'PUT', { subnet_id: subnets[n] });
    const apiWall = performance.now() - t0;

    /** ms until vm1's `ping -c 1 DST` first replies (retried as a user would). */
    const firstReply = async (dst: string, ttl: number): Promise<number> => {
      const start = performance.now();
      const dom = domainOf(cloud, 'cirros-vm1');
      if (typeof dom === 'string') throw new Error(dom);
      for (;;) {
        let out = '';
        cloud.world.sync();
        await new Promise<void>((resolve) =>
          dom.guest.whenBooted(() =>
            dom.guest.exec(`ping -c 1 -W 1 ${dst}`, { out: (t) => (out += t), err: () => {} }, () =>
              resolve(),
            ),
          ),
        );
        if (new RegExp(`ttl=${ttl} `).test(out)) return performance.now() - start;
        if (performance.now() - start > 60_000) throw new Error(`no reply from ${dst}: ${out}`);
      }
    };
    const routed = await firstReply(ip(servers[2]), 63);
    const sameNet = await firstReply(ip(servers[1]), 64);
    const vm2CreateToReply = performance.now() - created['cirros-vm2'];
    return [
      {
        name: 'seed scenario through the HTTP API (image → 3 servers ACTIVE → router10_11)',
        value: Math.round(apiWall),
        unit: 'ms',
      },
      {
        name: 'router10_11 done → vm1 first reply from vm3 (ttl=63; the guests still booting)',
        value: Math.round(routed),
        unit: 'ms',
      },
      { name: 'vm1 → vm2 first reply (guests booted)', value: Math.round(sameNet), unit: 'ms' },
      { name: 'vm2 create → vm1 has a reply from it', value: Math.round(vm2CreateToReply), unit: 'ms' },
    ];
  } finally {
    await cloud.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const f of await runSeedScenarioBench()) console.log(`${f.name}: ${f.value} ${f.unit}`);
}
