// neutron-l3-agent (legacy routers) for one host (the network role's host).
//
//   setupExternalNetwork({ host: worldHost.kernel, vswitchd: worldHost.vswitchd });  // br-ex 172.24.4.1/24
//   const l3 = startL3Agent({
//     host: worldHost.kernel,          // kernel Host: qrouter namespaces, qr-/qg- devices
//     vswitchd: worldHost.vswitchd,    // br-int (and br-ex, int-br-ex/phy-br-ex) from the Open vSwitch agent
//     bus,                             // serves sync_routers, update_floatingip_statuses, report_state;
//                                      // publishes router.*, router.interface_*, floatingip.*, port.*
//     sched: world.sched,
//     log: logs.file('network/l3-agent.log').logger('neutron.agent.l3.agent'),
//     config: { host: 'network' },     // l3_agent.ini options; Neutron's defaults otherwise
//   });
//   await l3.sync();                   // one full sync (the agent also syncs after its first report)
//   l3.stop();
//
// The qr-/qg- ports carry iface-id/attached-mac external_ids: the Open vSwitch agent tags them
// with their network's local VLAN (qg- with the external network's, which int-br-ex/phy-br-ex
// translate to untagged on br-ex).
import type { AgentHostOptions } from '../common/agent-host.js';
import { L3Agent, type L3AgentConf } from './l3-agent.js';

export { type ExternalNetworkOptions, setupExternalNetwork } from './external-network.js';
export { L3_AGENT_DEFAULTS, L3Agent, type L3AgentConf } from './l3-agent.js';
export { RouterInfo } from './router-info.js';
export { applyRouterTables, type RouterRules, routerTables } from './router-iptables.js';

export interface L3AgentHandle {
  stop(): void;
  sync(): Promise<void>;
  agent: L3Agent;
}

export function startL3Agent(
  opts: AgentHostOptions & { config: Partial<L3AgentConf> & { host: string } },
): L3AgentHandle {
  const agent = new L3Agent(opts, opts.config);
  agent.start();
  return { stop: () => agent.stop(), sync: () => agent.sync(), agent };
}
