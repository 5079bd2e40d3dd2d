// A compute host under nova-compute's libvirt driver: build_and_run_instance over the bus as the
// conductor sends it (hybrid plug of the port, domain definition, tap, CirrOS guest), then the
// guest's boot on virtual time to its login prompt; and 100 servers on one host: wall time and
// memory. Fast pacing (the world's scheduler stepped by hand); no DHCP server on the host, so each
// boot is CirrOS's failing udhcpc path (3 DISCOVERs 60 s apart) with a config drive.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LibvirtDriver } from '../src/agents/nova-compute/libvirt-driver.js';
import { NovaCompute } from '../src/agents/nova-compute/manager.js';
import { sampleInstance, samplePort } from '../src/agents/nova-compute/sample-instance.js';
import { Bus, type ComputeInstance, type ComputePort } from '../src/bus/index.js';
import type { Layout } from '../src/sim/layout.js';
import { LogRegistry } from '../src/sim/oslo-log.js';
import { World } from '../src/world/world.js';
import { startTestCloud } from '../tests/e2e/harness.js';
import { bootServer, seedNetwork, uploadImage } from '../tests/e2e/nova-fixtures.js';

interface Figure {
  name: string;
  value: number;
  unit: string;
}

function rssMb(): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

const hex = (n: number, w: number) => n.toString(16).padStart(w, '0');
const uuidOf = (kind: number, i: number) => `${hex(kind, 8)}-0000-4000-8000-${hex(i, 12)}`;

function instance(i: number): ComputeInstance {
  return sampleInstance({
    uuid: uuidOf(0xa, i),
    instanceName: `instance-${hex(i + 1, 8)}`,
    displayName: `vm${i}`,
    hostname: `vm${i}`,
  });
}

function port(i: number): ComputePort {
  return samplePort({
    id: uuidOf(0xb0000000 + i, i),
    macAddress: `fa:16:3e:00:${hex((i >> 8) & 0xff, 2)}:${hex(i & 0xff, 2)}`,
    fixedIps: [
      { subnetId: 's', ipAddress: `172.16.${i >> 8}.${(i & 0xff) + 2}`, cidr: null, gatewayIp: null },
    ],
  });
}

async function computeHost(ramMb: number) {
  const layout: Layout = {
    name: 'bench',
    underlayCidr: '192.168.136.0/24',
    hosts: [
      {
        name: 'compute1',
        roles: ['compute'],
        underlayIp: '192.168.136.11',
        ramMb,
        vcpus: 64,
        diskGb: 2000,
        servicesRamMb: 2048,
      },
    ],
  };
  const dir = mkdtempSync(join(tmpdir(), 'bench-compute-'));
  const world = new World(layout, { seed: 3, pacing: 'manual' });
  const wh = world.host('compute1')!;
  const bus = new Bus();
  const logs = new LogRegistry(join(dir, 'logs'));
  const driver = new LibvirtDriver({
    host: wh.kernel,
    ovs: wh.vswitchd,
    memory: wh.memory,
    sched: world.sched,
    now: () => new Date(world.wallMs()),
  });
  const agent = new NovaCompute({
    bus,
    host: wh.spec,
    log: logs.file('compute1/nova-compute.log'),
    driver,
    reportIntervalMs: 0,
  });
  await agent.start();
  const build = (i: number) =>
    bus.call('build_and_run_instance.compute1', {
      requestId: `req-${i}`,
      instance: instance(i),
      ports: [port(i)],
      attempt: 1,
    });
  const booted = (i: number) => driver.libvirt.byName(instance(i).instanceName)?.guest.isBooted === true;
  const close = async () => {
    agent.stop();
    await logs.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return { world, driver, build, booted, close };
}

/**
 * The whole cloud with its agents (DHCP answers): Debian's `openstack server create --wait`, then
 * until the guest's login prompt, in wall and virtual time (real-time pacing: the same clock).
 */
async function throughTheClient(): Promise<Figure[]> {
  const cloud = await startTestCloud();
  try {
    await uploadImage(cloud);
    await seedNetwork(cloud);
    const world = cloud.running.cloud.world;
    const t0 = performance.now();
    const v0 = world.sched.now;
    const r = await bootServer(cloud, 'cirros-vm1', { network: 'vxlan10', json: true });
    if (r.code !== 0) throw new Error(r.stderr);
    const activeWall = performance.now() - t0;
    const lv = cloud.running.cloud.computeAgents[0];
    const id = (JSON.parse(r.stdout) as { id: string }).id;
    const name = lv.domains.get(id)?.instance.instanceName ?? '';
    const guest = world
      .host('localhost')
      ?.part<{ byName(n: string): { guest: { isBooted: boolean } } | undefined }>('libvirt')
      ?.byName(name)?.guest;
    while (guest && !guest.isBooted) await new Promise((res) => setTimeout(res, 20));
    world.sync();
    return [
      {
        name: '`openstack server create --wait` (client process included), all agents',
        value: activeWall,
        unit: 'ms wall',
      },
      {
        name: 'server create → guest login prompt (DHCP lease), wall',
        value: performance.now() - t0,
        unit: 'ms wall',
      },
      {
        name: 'server create → guest login prompt (DHCP lease), virtual',
        value: (world.sched.now - v0) / 1e9,
        unit: 's virtual',
      },
    ];
  } finally {
    await cloud.stop();
  }
}

export async function runComputeHostBench(n = 100): Promise<Figure[]> {
  // one server: RPC → ACTIVE (what nova-compute does before the conductor sees ACTIVE), then the boot
  const one = await computeHost(16384);
  const t0 = performance.now();
  const r = await one.build(0);
  const activeWall = performance.now() - t0;
  if (r.outcome !== 'active') throw new Error(`build failed: ${JSON.stringify(r)}`);
  const v0 = one.world.sched.now;
  const t1 = performance.now();
  one.world.sched.runUntil(() => one.booted(0), 600e9);
  const bootWall = performance.now() - t1;
  const bootVirtual = (one.world.sched.now - v0) / 1e9;
  await one.close();

  // n servers on one host with room for them (m1.tiny + qemu overhead = 576 MB each)
  const many = await computeHost(2048 + n * 576 + 1024);
  globalThis.gc?.();
  const rss0 = rssMb();
  const t2 = performance.now();
  for (let i = 0; i < n; i++) {
    const b = await many.build(i);
    if (b.outcome !== 'active') throw new Error(`build ${i} failed`);
  }
  const buildWall = performance.now() - t2;
  const guests = Array.from(
    { length: n },
    (_, i) => many.driver.libvirt.byName(instance(i).instanceName)!.guest,
  );
  let up = 0;
  for (const g of guests) g.whenBooted(() => up++);
  many.world.sched.runUntil(() => up === n, 600e9);
  const allWall = performance.now() - t2;
  globalThis.gc?.();
  const rss1 = rssMb();
  await many.close();

  const direct: Figure[] = [
    {
      name: 'build_and_run_instance → ACTIVE (plug, define, start; one server)',
      value: activeWall,
      unit: 'ms wall',
    },
    { name: 'ACTIVE → login prompt, no DHCP server (config drive)', value: bootVirtual, unit: 's virtual' },
    { name: 'ACTIVE → login prompt, simulated', value: bootWall, unit: 'ms wall' },
    { name: `${n} servers built on one host (RPC → ACTIVE each)`, value: buildWall, unit: 'ms wall' },
    { name: `${n} servers built and booted to their login prompts`, value: allWall, unit: 'ms wall' },
    { name: `RSS growth for ${n} running servers`, value: rss1 - rss0, unit: 'MB' },
    {
      name: 'RSS per running server (devices, domain, guest, console log)',
      value: ((rss1 - rss0) * 1024) / n,
      unit: 'KiB',
    },
  ];
  return [...(await throughTheClient()), ...direct];
}

export const headline = (f: Figure[]) =>
  `compute host: ${f[7].value.toFixed(0)} ms for 100 servers built and booted, ${f[9].value.toFixed(0)} KiB each`;

const isMain = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) {
  for (const f of await runComputeHostBench()) console.log(`${f.name}: ${f.value.toFixed(3)} ${f.unit}`);
}
