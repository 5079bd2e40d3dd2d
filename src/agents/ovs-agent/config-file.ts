// openvswitch_agent.ini through oslo.config (src/sim/oslo-config.ts): the option table with Zed's
// types and defaults, unknown options warned about, a bad value refused with the file and line.
import { type ConfigSchema, loadConfig, opt } from '../../sim/oslo-config.js';
import { type IniValues, OVS_AGENT_DEFAULTS, type OvsAgentConfig, ovsAgentConfigFrom } from './config.js';

const kind = (v: unknown) =>
  Array.isArray(v)
    ? opt.list(v as string[])
    : typeof v === 'boolean'
      ? opt.bool(v)
      : typeof v === 'number'
        ? opt.int(v)
        : opt.str(v as string | null);

/** The agent's options as an oslo.config schema (from OVS_AGENT_DEFAULTS, with Zed's bounds). */
export const OVS_AGENT_SCHEMA: ConfigSchema = Object.fromEntries(
  Object.entries(OVS_AGENT_DEFAULTS).map(([section, opts]) => [
    section,
    Object.fromEntries(Object.entries(opts).map(([k, v]) => [k, kind(v)])),
  ]),
);
OVS_AGENT_SCHEMA.agent.vxlan_udp_port = opt.int(4789, { min: 1, max: 65535 });
OVS_AGENT_SCHEMA.agent.polling_interval = opt.int(2, { min: 1 });
OVS_AGENT_SCHEMA.agent.report_interval = opt.float(30, { min: 0 });
OVS_AGENT_SCHEMA.ovs.datapath_type = opt.str('system', { choices: ['system', 'netdev'] });
OVS_AGENT_SCHEMA.ovs.of_listen_port = opt.int(6633, { min: 1, max: 65535 });

/**
 * The agent ini of one host (or the defaults alone with `source` null), with this host's name
 * and tunnel endpoint: packstack writes local_ip per host, the shipped file carries the
 * all-in-one's.
 */
export function loadOvsAgentConfig(
  source: { path: string; text?: string } | null,
  host: { name: string; localIp?: string },
  warn?: (message: string) => void,
): OvsAgentConfig {
  const values = loadConfig(OVS_AGENT_SCHEMA, source, warn) as IniValues;
  if (host.localIp !== undefined) values.ovs.local_ip = host.localIp;
  return ovsAgentConfigFrom(values, host.name, source?.path);
}
