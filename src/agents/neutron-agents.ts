// Neutron's agents on the hosts of a running cloud, placed as packstack places them: an Open
// vSwitch agent on every host with the compute or network role (local_ip = the host's underlay
// address, as packstack writes openvswitch_agent.ini per host), and on each network host br-ex
// with 172.24.4.1/24 (packstack's demo provisioning), a DHCP agent and an L3 agent. They meet
// neutron-server on the bus only; each writes logs/<host>/<agent>.log. Stopping them leaves the
// hosts as they are (bridges, namespaces, flows, rules), as when the real daemons stop.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Bus } from '../bus/index.js';
import type { Host } from '../kernel/host.js';
import type { Vswitchd } from '../ovs/vswitchd.js';
import type { HostRole, HostSpec } from '../sim/layout.js';
import { loadConfig, opt } from '../sim/oslo-config.js';
import type { Logger } from '../sim/oslo-log.js';
import type { Scheduler } from '../sim/scheduler.js';
import type { FileRegistry } from './common/agent-host.js';
import { type DhcpAgentHandle, startDhcpAgent } from './dhcp-agent/index.js';
import { type L3AgentHandle, setupExternalNetwork, startL3Agent } from './l3-agent/index.js';
import { loadOvsAgentConfig, type RunningOvsAgent, startOvsAgent } from './ovs-agent/index.js';

/** What the agents need of an emulated host (the world's WorldHost fits). */
export interface AgentHost {
  readonly name: string;
  readonly spec: HostSpec;
  readonly kernel: Host;
  readonly vswitchd: Vswitchd;
  readonly files: FileRegistry;
  hasRole(role: HostRole): boolean;
}

export interface NeutronAgentsOptions {
  hosts: Iterable<AgentHost>;
  bus: Bus;
  sched: Scheduler;
  /** Where neutron/plugins/ml2/openvswitch_agent.ini is read (the cloud's config dir). */
  configDir: string;
  /** [agent] report_interval in seconds (default: neutron.conf's in configDir, which every agent reads). */
  reportInterval?: number;
  /** The file of one host's agent: logs/<host>/<file>. */
  log: (host: string, file: string, module: string) => Logger;
  /** Wall-clock ms of the hosts' virtual time (report_state's time, lease expiries). */
  wallMs?: () => number;
}

export interface NeutronAgents {
  readonly ovs: ReadonlyMap<string, RunningOvsAgent>;
  readonly dhcp: ReadonlyMap<string, DhcpAgentHandle>;
  readonly l3: ReadonlyMap<string, L3AgentHandle>;
  /** One full reconciliation of every agent (Open vSwitch agents first). */
  sync(): Promise<void>;
  /** `systemctl stop neutron-…-agent` on one host: it stops reporting; the host stays as it is. */
  stopAgent(host: string, kind: AgentKind): boolean;
  /** `systemctl start …`: a new run of the agent (new flow cookies, full resync). */
  startAgent(host: string, kind: AgentKind): boolean;
  stop(): void;
}

export type AgentKind = 'ovs' | 'dhcp' | 'l3';

const OVS_LOGGER = 'neutron.plugins.ml2.drivers.openvswitch.agent.ovs_neutron_agent';

export function startNeutronAgents(o: NeutronAgentsOptions): NeutronAgents {
  const ovs = new Map<string, RunningOvsAgent>();
  const dhcp = new Map<string, DhcpAgentHandle>();
  const l3 = new Map<string, L3AgentHandle>();
  const iniPath = join(o.configDir, 'neutron/plugins/ml2/openvswitch_agent.ini');
  const hosts = new Map([...o.hosts].map((h) => [h.name, h]));
  const reportInterval = o.reportInterval ?? neutronConfReportInterval(o.configDir);
  const every = { report_interval: reportInterval };
  const starters: Record<AgentKind, (h: AgentHost) => void> = {
    ovs: (h) => {
      const log = o.log(h.name, 'openvswitch-agent.log', OVS_LOGGER);
      const config = loadOvsAgentConfig(
        { path: iniPath },
        { name: h.name, localIp: h.spec.underlayIp },
        (w) => log.warning(w),
      );
      config.reportInterval = reportInterval;
      const { kernel, vswitchd } = h;
      ovs.set(
        h.name,
        startOvsAgent({ host: kernel, vswitchd, bus: o.bus, sched: o.sched, config, log, wallMs: o.wallMs }),
      );
    },
    dhcp: (h) =>
      dhcp.set(
        h.name,
        startDhcpAgent({
          ...common(h),
          log: o.log(h.name, 'dhcp-agent.log', 'neutron.agent.dhcp.agent'),
          config: { host: h.name, ...every },
        }),
      ),
    l3: (h) =>
      l3.set(
        h.name,
        startL3Agent({
          ...common(h),
          log: o.log(h.name, 'l3-agent.log', 'neutron.agent.l3.agent'),
          config: { host: h.name, ...every },
        }),
      ),
  };
  const common = (h: AgentHost) => ({
    host: h.kernel,
    vswitchd: h.vswitchd,
    bus: o.bus,
    sched: o.sched,
    files: h.files,
    wallMs: o.wallMs,
  });
  const maps: Record<AgentKind, Map<string, { stop(): void }>> = { ovs, dhcp, l3 };
  const all = () => [...l3.values(), ...dhcp.values(), ...ovs.values()];
  try {
    for (const h of hosts.values()) {
      if (!h.hasRole('compute') && !h.hasRole('network')) continue;
      // packstack creates br-ex with the demo range's gateway before the agent starts.
      if (h.hasRole('network')) setupExternalNetwork({ host: h.kernel, vswitchd: h.vswitchd });
      starters.ovs(h);
    }
    for (const h of hosts.values()) {
      if (!h.hasRole('network')) continue;
      starters.dhcp(h);
      starters.l3(h);
    }
  } catch (e) {
    for (const a of all()) a.stop();
    throw e;
  }
  return {
    ovs,
    dhcp,
    l3,
    async sync() {
      await Promise.all([...ovs.values()].map((a) => a.sync()));
      await Promise.all([...dhcp.values(), ...l3.values()].map((a) => a.sync()));
      await Promise.all([...ovs.values()].map((a) => a.sync()));
    },
    stopAgent(host, kind) {
      const running = maps[kind].get(host);
      running?.stop();
      maps[kind].delete(host);
      return running !== undefined;
    },
    startAgent(host, kind) {
      const h = hosts.get(host);
      if (h === undefined || maps[kind].has(host)) return false;
      starters[kind](h);
      return true;
    },
    stop() {
      for (const a of all()) a.stop();
    },
  };
}

/** The agents read neutron.conf too: its [agent] report_interval (30 s in packstack's file). */
function neutronConfReportInterval(configDir: string): number {
  const path = join(configDir, 'neutron/neutron.conf');
  const schema = { agent: { report_interval: opt.float(30, { min: 0 }) } };
  // Only this option matters here; neutron-server warns about the rest of the file.
  const values = loadConfig(schema, existsSync(path) ? { path } : null);
  return values.agent.report_interval as number;
}
