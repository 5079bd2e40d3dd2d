// neutron-dhcp-agent for one host (the network role's host).
//
//   const dhcp = startDhcpAgent({
//     host: worldHost.kernel,          // kernel Host: namespaces, devices
//     vswitchd: worldHost.vswitchd,    // br-int must exist (the Open vSwitch agent makes it)
//     bus,                             // serves get_active_networks_info, get_network_info,
//                                      // create_dhcp_port, update_dhcp_port, release_dhcp_port,
//                                      // dhcp_ready_on_ports,
//                                      // report_state; publishes network/subnet/port.* events
//     sched: world.sched,
//     log: logs.file('network/dhcp-agent.log').logger('neutron.agent.dhcp.agent'),
//     files: worldHost.files,          // /var/lib/neutron/dhcp/<net>/{host,opts,addn_hosts,leases,…}
//     config: { host: 'network' },     // dhcp_agent.ini options; Neutron's defaults otherwise
//   });
//   await dhcp.sync();                 // one full resync (the agent also resyncs by itself)
//   dhcp.stop();
//
// The agent reports every report_interval (30 s of virtual time) and resyncs after its first
// report, on 'revived', and every resync_interval when something failed.
import type { AgentHostOptions } from '../common/agent-host.js';
import { DhcpAgent, type DhcpAgentConf } from './dhcp-agent.js';

export { DHCP_AGENT_DEFAULTS, DhcpAgent, type DhcpAgentConf } from './dhcp-agent.js';
export { Dnsmasq, type Lease } from './dnsmasq.js';

export interface DhcpAgentHandle {
  stop(): void;
  sync(): Promise<void>;
  agent: DhcpAgent;
}

export function startDhcpAgent(
  opts: AgentHostOptions & { config: Partial<DhcpAgentConf> & { host: string } },
): DhcpAgentHandle {
  const agent = new DhcpAgent(opts, opts.config);
  agent.start();
  return { stop: () => agent.stop(), sync: () => agent.sync(), agent };
}
