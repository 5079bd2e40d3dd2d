// Scale: a controller/network node and 10 compute hosts, 10 networks joined in pairs by 5
// routers (each with a gateway on `public`), then N instances (N/10 per network, booted with
// Nova's multi-create as `openstack server create --min K --max K` sends it) until every one is
// ACTIVE — Nova's scheduler spreading them, nova-compute plugging each into its host's br-int,
// the Open vSwitch agents wiring them and sending network-vif-plugged. Then one guest on the first
// network pings one on the second, through their router (ttl=63). Measured: wall time from the
// first create to the last ACTIVE, the process's RSS at that point, and the first routed reply.
// One fresh cloud per size, realtime pacing as `pocketstack up` runs.
// Runnable alone: `node dist/bench/scale.js [N…]` (default 100 1000).

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LIBVIRT_PART, type Libvirt } from '../src/agents/nova-compute/libvirt.js';
import { makeCirros } from '../src/cli/image.js';
import { domainOf } from '../src/cli/vm-command.js';
import { startCloud } from '../src/cloud.js';
import { multiNode } from '../src/sim/layout.js';
import { freePortOffset } from '../tests/e2e/harness.js';
import { adminToken, apiCaller } from './admin-token.js';

interface Figure {
  name: string;
  value: number;
  unit: string;
}

type Body = Record<string, unknown>;

const NETWORKS = 10;
const COMPUTES = 10;

export async function runScaleBench(sizes = [100, 1000]): Promise<Figure[]> {
  const figures: Figure[] = [];
  for (const n of sizes) figures.push(...(await bootMany(n)));
  return figures;
}

async function bootMany(count: number): Promise<Figure[]> {
  const dir = mkdtempSync(join(tmpdir(), 'scale-bench-'));
  const cloud = await startCloud({
    dataDir: dir,
    ephemeral: true,
    portOffset: await freePortOffset(),
    layout: multiNode(COMPUTES),
  });
  try {
    const { token, projectId } = await adminToken(cloud);
    const call = apiCaller(token);
    const nova = cloud.endpoints.compute;
    const neutron = `${cloud.endpoints.network}/v2.0`;
    const glance = `${cloud.endpoints.image}/v2`;

    // What an operator sets before such a run: unlimited quotas and a small flavor (devstack's m1.nano).
    await call(`${nova}/os-quota-sets/${projectId}`, 'PUT', {
      quota_set: { instances: -1, cores: -1, ram: -1 },
    });
    await call(`${neutron}/quotas/${projectId}`, 'PUT', {
      quota: { port: -1, network: -1, subnet: -1, router: -1 },
    });
    const flavor = (
      (await call(`${nova}/flavors`, 'POST', {
        flavor: { name: 'm1.nano', ram: 64, vcpus: 1, disk: 1 },
      })) as { flavor: { id: string } }
    ).flavor.id;
    const file = makeCirros(join(dir, 'cirros.img')).path;
    const image = (await call(`${glance}/images`, 'POST', {
      name: 'cirros-0.3.4-x86_64',
      disk_format: 'qcow2',
      container_format: 'bare',
      visibility: 'public',
    })) as unknown as { id: string };
    await call(`${glance}/images/${image.id}/file`, 'PUT', readFileSync(file), 'application/octet-stream');

    const nets: string[] = [];
    const subnets: string[] = [];
    for (let i = 0; i < NETWORKS; i++) {
      nets.push(
        ((await call(`${neutron}/networks`, 'POST', { network: { name: `net${i}` } })).network as Body)
          .id as string,
      );
      const subnet = (
        await call(`${neutron}/subnets`, 'POST', {
          subnet: { network_id: nets[i], cidr: `10.0.${i}.0/24`, ip_version: 4, name: `subnet${i}` },
        })
      ).subnet as Body;
      subnets.push(subnet.id as string);
    }
    const pub = ((await call(`${neutron}/networks?name=public`)).networks as unknown as Body[])[0].id;
    for (let r = 0; r < NETWORKS / 2; r++) {
      const router = (
        (await call(`${neutron}/routers`, 'POST', { router: { name: `router${r}` } })).router as Body
      ).id as string;
      await call(`${neutron}/routers/${router}`, 'PUT', {
        router: { external_gateway_info: { network_id: pub } },
      });
      for (const s of [subnets[2 * r], subnets[2 * r + 1]])
        await call(`${neutron}/routers/${router}/add_router_interface`, 'PUT', { subnet_id: s });
    }

    const perNetwork = count / NETWORKS;
    const t0 = performance.now();
    await Promise.all(
      nets.map((net, i) =>
        call(`${nova}/servers`, 'POST', {
          server: {
            name: `vm-net${i}`,
            imageRef: image.id,
            flavorRef: flavor,
            networks: [{ uuid: net }],
            min_count: perNetwork,
            max_count: perNetwork,
          },
        }),
      ),
    );
    const requested = performance.now() - t0;
    let last = -1;
    for (;;) {
      const active = (
        (await call(`${nova}/servers?status=ACTIVE&limit=${count}`)).servers as unknown as Body[]
      ).length;
      const errors =
        ((await call(`${nova}/servers/detail?status=ERROR&limit=${count}`)).servers as unknown as Body[]) ??
        [];
      if (errors.length > 0)
        throw new Error(`${errors.length} servers went ERROR: ${JSON.stringify(errors[0].fault)}`);
      if (active === count) break;
      if (active !== last) process.stderr.write(`\r${count} instances: ${active} ACTIVE`);
      last = active;
      await new Promise((r) => setTimeout(r, 250));
    }
    process.stderr.write('\n');
    const allActive = performance.now() - t0;
    const rss = process.memoryUsage().rss;

    // A guest of net0 reaches one of net1 through router0, while the others are still booting.
    const first = async (net: number) => {
      const servers = (await call(`${nova}/servers/detail?name=^vm-net${net}-1$`))
        .servers as unknown as Body[];
      const s = servers[0] as { name: string; addresses: Record<string, { addr: string }[]> };
      return { name: s.name, ip: Object.values(s.addresses)[0][0].addr };
    };
    const [from, to] = [await first(0), await first(1)];
    const dom = domainOf(cloud, from.name);
    if (typeof dom === 'string') throw new Error(dom);
    const pingStart = performance.now();
    for (;;) {
      let out = '';
      cloud.world.sync();
      await new Promise<void>((resolve) =>
        dom.guest.whenBooted(() =>
          dom.guest.exec(`ping -c 1 -W 1 ${to.ip}`, { out: (t) => (out += t), err: () => {} }, () =>
            resolve(),
          ),
        ),
      );
      if (/ttl=63 /.test(out)) break;
      if (performance.now() - pingStart > 120_000)
        throw new Error(`${from.name}: no reply from ${to.ip}: ${out}`);
    }
    const routed = performance.now() - pingStart;

    // Every guest booted and holding its DHCP lease (udhcpc's "Lease of … obtained" on its console).
    const domains = [...cloud.world.hosts.values()].flatMap(
      (h) => h.part<Libvirt>(LIBVIRT_PART)?.list(false) ?? [],
    );
    if (domains.length !== count) throw new Error(`${domains.length} running domains, ${count} expected`);
    for (;;) {
      cloud.world.sync();
      const leased = domains.filter((d) => d.guest.console.text.includes(' obtained, lease time ')).length;
      if (leased === count) break;
      process.stderr.write(`\r${count} guests: ${leased} with a lease`);
      if (performance.now() - t0 > 600_000) throw new Error(`only ${leased} of ${count} guests got a lease`);
      await new Promise((r) => setTimeout(r, 250));
    }
    process.stderr.write('\n');
    const allLeased = performance.now() - t0;
    const rssLeased = process.memoryUsage().rss;
    return [
      {
        name: `${count} instances on ${COMPUTES} computes: create requests answered`,
        value: Math.round(requested),
        unit: 'ms',
      },
      {
        name: `${count} instances on ${COMPUTES} computes: first create → all ACTIVE`,
        value: Math.round(allActive),
        unit: 'ms',
      },
      { name: `${count} instances: RSS when all ACTIVE`, value: Math.round(rss / 2 ** 20), unit: 'MB' },
      {
        name: `${count} instances: then net0 guest → net1 guest first reply (ttl=63)`,
        value: Math.round(routed),
        unit: 'ms',
      },
      {
        name: `${count} instances: first create → every guest has its DHCP lease`,
        value: Math.round(allLeased),
        unit: 'ms',
      },
      { name: `${count} instances: RSS then`, value: Math.round(rssLeased / 2 ** 20), unit: 'MB' },
    ];
  } finally {
    await cloud.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The summary line `npm run bench` ends with. */
export function headline(figures: Figure[]): string {
  const f = (re: RegExp) => figures.find((x) => re.test(x.name))?.value ?? Number.NaN;
  const s = (ms: number) => (ms / 1000).toFixed(1);
  return `scale: 1,000 instances ACTIVE in ${s(f(/^1000 .*all ACTIVE/))} s, every guest leased at ${s(f(/^1000 .*DHCP lease/))} s, RSS ${f(/^1000 instances: RSS then/)} MB (targets ≤ 60 s, ≤ 1,024 MB)`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const sizes = process.argv
    .slice(2)
    .map(Number)
    .filter((n) => n > 0);
  for (const f of await runScaleBench(sizes.length ? sizes : undefined))
    console.log(`${f.name}: ${f.value} ${f.unit}`);
}
