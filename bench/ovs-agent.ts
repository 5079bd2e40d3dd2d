// Open vSwitch agent benchmark: what one rpc_loop costs on a host with 100 VM ports (10 networks,
// every port in a security group with the default rules, so the firewall has remote-group
// ipsets): binding all 100 at once (details, tags, spoofing flows, iptables, device up), an idle
// iteration (nothing changed: the loop only looks), a full resync (agent revived: all 100
// re-treated, nothing written), a firewall refresh after a rule change, and an agent restart on the
// populated host. Wall time of the agent's work, the bus calls answered by an in-memory server.
//
// Run: `node dist/bench/ovs-agent.js`, or `npm run bench -- ovs-agent`.
import { Testbed } from '../src/agents/ovs-agent/testbed.js';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
}

const PORTS = 100;

async function timed(fn: () => Promise<void>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

export async function runOvsAgentBench(): Promise<BenchResult[]> {
  const bed = new Testbed(['compute1']);
  const running = bed.startAgent('compute1');
  await running.sync();
  const n = bed.neutron;
  const sg = n.createSecurityGroup();
  const nets = Array.from({ length: 10 }, (_, i) => n.createNetwork(1001 + i));
  for (let i = 0; i < PORTS; i++) {
    const port = n.createPort(nets[i % 10], 'compute1', `10.0.${i % 10}.${10 + Math.floor(i / 10)}`, {
      security_groups: [sg],
    });
    bed.plug('compute1', port);
  }
  await n.bus.idle();
  const agent = running.agent;
  const calls0 = agent.cli.calls;
  const bindMs = await timed(() => running.sync());
  const cliCalls = agent.cli.calls - calls0;
  const idle: number[] = [];
  for (let i = 0; i < 20; i++) idle.push(await timed(() => running.sync()));
  agent.requestFullSync();
  const resyncMs = await timed(() => running.sync());
  const fwMs = await timed(async () => {
    n.addRule(sg, { direction: 'ingress', protocol: 'icmp' });
    await n.bus.idle();
    await running.sync();
  });
  running.stop();
  const restartMs = await timed(async () => {
    const again = bed.startAgent('compute1');
    await again.sync();
  });
  idle.sort((a, b) => a - b);
  return [
    { name: `bind ${PORTS} new ports (one loop)`, value: bindMs, unit: 'ms' },
    { name: 'ovs-vsctl/ovs-ofctl invocations for them', value: cliCalls, unit: 'calls' },
    { name: 'idle loop (nothing changed), median', value: idle[10], unit: 'ms' },
    { name: `full resync of ${PORTS} ports (no change written)`, value: resyncMs, unit: 'ms' },
    { name: `firewall refresh for ${PORTS} ports after a rule change`, value: fwMs, unit: 'ms' },
    { name: `agent restart on a host with ${PORTS} ports, to converged`, value: restartMs, unit: 'ms' },
  ];
}

export function headline(results: BenchResult[]): string {
  return `ovs-agent: ${results[0].value.toFixed(0)} ms to bind ${PORTS} ports, ${results[3].value.toFixed(0)} ms per full resync`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await runOvsAgentBench()) console.log(`${r.name}: ${r.value.toFixed(2)} ${r.unit}`);
}
