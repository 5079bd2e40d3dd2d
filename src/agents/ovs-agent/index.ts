// neutron-openvswitch-agent, one per emulated host, with the hybrid iptables firewall.
//
// HOW TO RUN IT (src/world.ts / src/cloud.ts):
//
//   import { loadOvsAgentConfig, startOvsAgent } from './agents/ovs-agent/index.js';
//   const config = loadOvsAgentConfig(                        // throws ConfigError / OvsAgentConfigError
//     { path: join(configDir, 'neutron/plugins/ml2/openvswitch_agent.ini') },
//     { name: host.name, localIp: host.spec.underlayIp },    // packstack writes local_ip per host
//     (w) => log.warning(w),
//   );
//   const agent = startOvsAgent({
//     host: worldHost.kernel, vswitchd: worldHost.vswitchd, bus, sched: world.sched, config,
//     log: logs.file(`${host.name}/openvswitch-agent.log`).logger('neutron.plugins.ml2.drivers.openvswitch.agent.ovs_neutron_agent'),
//   });
//   …
//   await agent.sync();   // one rpc_loop iteration now; resolves when the host matches the server
//   agent.stop();         // unsubscribes and stops its timers; bridges, ports, flows and rules stay
//
// At start it creates br-int, br-ex (bridge_mappings) and br-tun with their patch ports and base
// flows (new cookies each start) and sends report_state (then every report_interval, 30 s).
// Its loop runs every polling_interval (2 s of virtual time), at once when OVSDB changes (a qvo
// plugged by nova-compute, a qr-/tap port of the L3/DHCP agents) or a notification arrives.
// It calls on the bus: report_state, tunnel_sync, get_devices_details_list, update_device_up,
// update_device_down, security_group_info_for_devices; it listens to port.created/updated/deleted,
// security_group(.rule).created/updated/deleted, tunnel.updated and, with l2population,
// fdb_add/fdb_remove ({ fdb_entries }, see rpc-payloads.ts). Everything it does goes through
// ovs-vsctl / ovs-ofctl text and iptables-restore, so the host tools show it all.
import type { OvsAgentOptions } from './agent.js';
import { OvsAgent } from './agent.js';

export { AGENT_BINARY, AGENT_TYPE, OvsAgent, type OvsAgentOptions } from './agent.js';
export {
  type IniValues,
  OVS_AGENT_DEFAULTS,
  OVS_AGENT_INI,
  type OvsAgentConfig,
  OvsAgentConfigError,
  ovsAgentConfigFrom,
  packstackOvsAgentConfig,
} from './config.js';
export { loadOvsAgentConfig, OVS_AGENT_SCHEMA } from './config-file.js';
export { DEAD_VLAN_TAG, LocalVlanPool } from './local-vlan.js';
export type { DeviceDetails, FdbEntries, SecurityGroupInfo } from './rpc-payloads.js';

export interface RunningOvsAgent {
  readonly agent: OvsAgent;
  /** Runs the loop now; resolves when this iteration (and any asked for meanwhile) is done. */
  sync(): Promise<void>;
  stop(): void;
}

/** Starts the Open vSwitch agent of one host. */
export function startOvsAgent(opts: OvsAgentOptions): RunningOvsAgent {
  const agent = new OvsAgent(opts);
  agent.start();
  return { agent, sync: () => agent.sync(), stop: () => agent.stop() };
}
