// Host tools: the cost of creating the emulated world at `pocketstack up` (all-in-one and a
// 100-compute layout), of one `host exec` formatting a listing (ip addr, ovs-vsctl show,
// ovs-ofctl dump-flows, iptables-save) on the two-host test scenario, and tcpdump's formatter
// on captured frames (VXLAN-decoded).
import { hostExec } from '../src/cli/host-tools/index.js';
import { formatFrame } from '../src/cli/host-tools/packet-print.js';
import { ROUTER_NS, run, scenario } from '../src/cli/host-tools/test-scenario.js';
import { allInOne, multiNode } from '../src/sim/layout.js';
import { World } from '../src/world/world.js';

interface Figure {
  name: string;
  value: number;
  unit: string;
}

function timeMs(fn: () => void, n: number): number {
  const t = performance.now();
  for (let i = 0; i < n; i++) fn();
  return (performance.now() - t) / n;
}

async function perCommandMs(world: World, host: string, cmd: string, n: number): Promise<number> {
  const io = {
    stdout: () => {},
    stderr: () => {},
    tty: false,
    signal: new AbortController().signal,
    readStdin: async () => '',
  };
  const t = performance.now();
  for (let i = 0; i < n; i++) await hostExec(world, host, [cmd], io);
  return (performance.now() - t) / n;
}

export async function runHostToolsBench(): Promise<Figure[]> {
  const figures: Figure[] = [];
  new World(allInOne(), { pacing: 'manual' }); // warm the modules
  figures.push({
    name: 'world creation, all-in-one',
    value: timeMs(() => new World(allInOne(), { pacing: 'manual' }), 50),
    unit: 'ms',
  });
  figures.push({
    name: 'world creation, 1 + 100 computes',
    value: timeMs(() => new World(multiNode(100), { pacing: 'manual' }), 5),
    unit: 'ms',
  });

  const s = scenario();
  const frames: Uint8Array[] = [];
  s.cmp.nic.capture((_t, f) => frames.push(f.slice()));
  await run(s.world, 'controller', `ip netns exec ${ROUTER_NS} ping -c 20 -i 0.2 10.0.0.5`);
  for (const [host, cmd] of [
    ['compute1', 'ip addr'],
    ['compute1', 'ovs-vsctl show'],
    ['compute1', 'ovs-ofctl dump-flows br-tun'],
    ['controller', `ip netns exec ${ROUTER_NS} iptables-save`],
    ['compute1', 'ip -br link | grep tap'],
  ] as const)
    figures.push({
      name: `host exec ${cmd.replace(ROUTER_NS, 'qrouter-…')}`,
      value: await perCommandMs(s.world, host, cmd, 200),
      unit: 'ms',
    });
  const opts = { link: true, numeric: true, verbose: false };
  const n = 20000;
  const t = performance.now();
  for (let i = 0; i < n; i++) formatFrame(frames[i % frames.length], opts);
  figures.push({
    name: 'tcpdump -nn -e lines (VXLAN-decoded)',
    value: Math.round(n / ((performance.now() - t) / 1000)),
    unit: 'lines/s',
  });
  return figures;
}

if (import.meta.url === `file://${process.argv[1]}`)
  for (const f of await runHostToolsBench()) console.log(`${f.name}: ${f.value} ${f.unit}`);
