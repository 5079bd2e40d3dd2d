// From the RPC answers to the firewall's inputs: a bound port's details as a FirewallPort, and
// security_group_info_for_devices as the groups' rules (remote_ip_prefix placed on the source or
// destination as the server's conversion does) and member addresses.
import type { DeviceDetails, SecurityGroupInfo } from '../rpc-payloads.js';
import type { FirewallPort, SecurityGroupState } from './hybrid-firewall.js';
import { fromApiRule } from './sg-rules.js';

export function firewallPortOf(d: DeviceDetails): FirewallPort {
  return {
    id: d.device,
    networkId: d.network_id,
    mac: d.mac_address,
    fixedIps: d.fixed_ips.map((f) => f.ip_address),
    allowedAddressPairs: d.allowed_address_pairs,
    securityGroups: d.security_groups,
    portSecurityEnabled: d.port_security_enabled,
    deviceOwner: d.device_owner,
  };
}

/** The groups' state, and the remote groups their rules name (whose members matter here). */
export function groupStateOf(info: SecurityGroupInfo): SecurityGroupState & { remoteGroups: Set<string> } {
  const rules = Object.fromEntries(
    Object.entries(info.security_groups).map(([id, rs]) => [id, rs.map(fromApiRule)]),
  );
  // Newer servers send [ip, mac] pairs; the address is what the sets hold.
  const ipOf = (m: string | [string, string]) => (Array.isArray(m) ? m[0] : m);
  const members = Object.fromEntries(
    Object.entries(info.sg_member_ips).map(([id, m]) => [
      id,
      { IPv4: (m.IPv4 ?? []).map(ipOf), IPv6: (m.IPv6 ?? []).map(ipOf) },
    ]),
  );
  const remoteGroups = new Set(
    Object.values(rules).flatMap((rs) => rs.map((r) => r.remote_group_id).filter((g): g is string => !!g)),
  );
  return { rules, members, remoteGroups };
}
