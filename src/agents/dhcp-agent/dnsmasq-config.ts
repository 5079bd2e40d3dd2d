// What Neutron's Dnsmasq driver writes for one network (neutron/agent/linux/dhcp.py, Zed): the
// `host`, `addn_hosts`, `opts` and initial `leases` files under
// /var/lib/neutron/dhcp/<network id>/ and the dnsmasq command line. Formats in
// reference/host-tools.md §11; the rules (which ports, which routes) are Zed's.
import { parseCidr, prefixMask } from '../../wire/ipv4-address.js';
import { type NetworkInfo, networkSubnets, type Port, type Subnet } from '../common/neutron-payloads.js';

export interface DnsmasqSettings {
  /** dns_domain (default openstacklocal). */
  dnsDomain: string;
  /** dhcp_lease_duration in seconds; -1 = infinite. */
  leaseDuration: number;
  enableIsolatedMetadata: boolean;
  forceMetadata: boolean;
  dnsmasqDnsServers: string[];
  dnsmasqLocalResolv: boolean;
  dnsmasqLeaseMax: number;
  stateDir: string;
}

// Device owners dnsmasq gets no host entry for (dhcp.py port_requires_dhcp_configuration):
// in Zed the DHCP port itself is among them, unlike the older releases many tutorials show.
const NO_HOST_ENTRY = new Set([
  'network:router_ha_interface',
  'network:floatingip',
  'network:dhcp',
  'network:distributed',
]);
const ROUTER_INTERFACE_OWNERS = new Set([
  'network:router_interface',
  'network:ha_router_replicated_interface',
  'network:router_interface_distributed',
]);
const METADATA_CIDR = '169.254.169.254/32';

export interface HostEntry {
  port: Port;
  ip: string;
  subnetId: string;
  hostname: string;
  fqdn: string;
}

/** _iter_hosts for IPv4: one entry per fixed IP on a subnet of the network. */
export function iterHosts(network: NetworkInfo, s: DnsmasqSettings): HostEntry[] {
  const subnets = new Set(networkSubnets(network).map((x) => x.id));
  const out: HostEntry[] = [];
  for (const port of network.ports) {
    if (port.device_owner && NO_HOST_ENTRY.has(port.device_owner)) continue;
    for (const alloc of port.fixed_ips) {
      if (!subnets.has(alloc.subnet_id) || alloc.ip_address.includes(':')) continue;
      const assigned = port.dns_assignment?.find((d) => d.ip_address === alloc.ip_address);
      const hostname = assigned?.hostname ?? `host-${alloc.ip_address.replace(/[.:]/g, '-')}`;
      const fqdn = assigned?.fqdn ?? (s.dnsDomain ? `${hostname}.${s.dnsDomain}` : hostname);
      out.push({ port, ip: alloc.ip_address, subnetId: alloc.subnet_id, hostname, fqdn });
    }
  }
  return out;
}

function dhcpSubnetIds(network: NetworkInfo): Set<string> {
  return new Set(
    networkSubnets(network)
      .filter((x) => x.enable_dhcp !== false && x.ip_version === 4)
      .map((x) => x.id),
  );
}

/** `host`: `<mac>,<fqdn>,<ip>` per fixed IP on a DHCP-enabled subnet (`,set:port-<id>` with extra opts). */
export function hostsFile(network: NetworkInfo, s: DnsmasqSettings): string {
  const dhcp = dhcpSubnetIds(network);
  let out = '';
  for (const h of iterHosts(network, s)) {
    if (!dhcp.has(h.subnetId)) continue;
    const extra = (h.port.extra_dhcp_opts?.length ?? 0) > 0 ? `,set:port-${h.port.id}` : '';
    out += `${h.port.mac_address},${h.fqdn},${h.ip}${extra}\n`;
  }
  return out;
}

/** `addn_hosts`: `<ip>\t<fqdn> <hostname>` (fqdn first, for PTR answers). */
export function addnHostsFile(network: NetworkInfo, s: DnsmasqSettings): string {
  return iterHosts(network, s)
    .map((h) => `${h.ip}\t${h.fqdn} ${h.hostname}\n`)
    .join('');
}

/** Initial `leases` (_output_init_lease_file): `<expiry> <mac> <ip> * *` for every DHCP host. */
export function initLeasesFile(network: NetworkInfo, s: DnsmasqSettings, nowSeconds: number): string {
  const dhcp = dhcpSubnetIds(network);
  const ts = s.leaseDuration === -1 ? 0 : nowSeconds + s.leaseDuration;
  return iterHosts(network, s)
    .filter((h) => dhcp.has(h.subnetId))
    .map((h) => `${ts} ${h.port.mac_address} ${h.ip} * *\n`)
    .join('');
}

/** get_isolated_subnets: a subnet is isolated unless a router port holds its gateway IP. */
export function isolatedSubnets(network: NetworkInfo): Map<string, boolean> {
  const subnets = networkSubnets(network);
  const isolated = new Map(subnets.map((x) => [x.id, true]));
  for (const port of network.ports) {
    if (!ROUTER_INTERFACE_OWNERS.has(port.device_owner)) continue;
    for (const a of port.fixed_ips) {
      const sub = subnets.find((x) => x.id === a.subnet_id);
      if (sub && sub.gateway_ip === a.ip_address) isolated.set(a.subnet_id, false);
    }
  }
  return isolated;
}

/** should_enable_metadata: the 169.254.169.254 address and proxy in the qdhcp namespace. */
export function metadataEnabled(network: NetworkInfo, s: DnsmasqSettings): boolean {
  const dhcp = networkSubnets(network).filter((x) => x.enable_dhcp !== false);
  if (dhcp.length === 0) return false;
  if (s.forceMetadata) return true;
  if (!s.enableIsolatedMetadata) return false;
  const iso = isolatedSubnets(network);
  return dhcp.some((x) => iso.get(x.id));
}

/**
 * `opts` (_generate_opts_per_subnet + per port): DNS servers, classless routes (option 121 and
 * Windows' 249: host routes, the metadata route via the router — or via the DHCP port when the
 * subnet is isolated and isolated metadata is on — the other subnets of the network on-link, then
 * the default route) and the router. Lines joined without a final newline, as Neutron writes them.
 */
export function optsFile(network: NetworkInfo, s: DnsmasqSettings, dhcpPortIps: Map<string, string>): string {
  const options: string[] = [];
  const isolated = isolatedSubnets(network);
  const all = networkSubnets(network);
  const withoutNameservers = new Set<string>();
  for (const subnet of all) {
    if (subnet.enable_dhcp === false || subnet.ip_version !== 4) continue;
    const tag = `tag:subnet-${subnet.id}`;
    const ns = subnet.dns_nameservers ?? [];
    if (ns.length > 0) {
      options.push(
        ns.every((x) => x === '0.0.0.0')
          ? `${tag},option:dns-server`
          : `${tag},option:dns-server,${ns.join(',')}`,
      );
    } else withoutNameservers.add(subnet.id);
    let gateway = subnet.gateway_ip;
    const hostRoutes: string[] = [];
    for (const hr of subnet.host_routes ?? []) {
      if (hr.destination === '0.0.0.0/0') gateway ??= hr.nexthop;
      else hostRoutes.push(`${hr.destination},${hr.nexthop}`);
    }
    let metadataVia: string | null = null;
    if (s.forceMetadata || (isolated.get(subnet.id) && s.enableIsolatedMetadata)) {
      metadataVia = dhcpPortIps.get(subnet.id) ?? null;
    } else if (!isolated.get(subnet.id) && gateway) metadataVia = gateway;
    if (metadataVia) hostRoutes.push(`${METADATA_CIDR},${metadataVia}`);
    for (const other of all)
      if (other.ip_version === 4 && other.cidr !== subnet.cidr) hostRoutes.unshift(`${other.cidr},0.0.0.0`);
    if (hostRoutes.length > 0) {
      if (gateway) hostRoutes.push(`0.0.0.0/0,${gateway}`);
      options.push(`${tag},option:classless-static-route,${hostRoutes.join(',')}`);
      options.push(`${tag},249,${hostRoutes.join(',')}`);
    }
    options.push(gateway ? `${tag},option:router,${gateway}` : `${tag},option:router`);
  }
  // Several DHCP ports on one subnet (several agents): all of them as DNS servers.
  const dhcpIps = new Map<string, string[]>();
  for (const port of network.ports) {
    for (const o of port.extra_dhcp_opts ?? []) {
      if (o.opt_name === 'client-id' || o.opt_name === '61') continue;
      if ((o.ip_version ?? 4) !== 4) continue;
      const name = /^\d+$/.test(o.opt_name) ? o.opt_name : `option:${o.opt_name}`;
      options.push(`tag:port-${port.id},${name},${o.opt_value}`);
    }
    if (port.device_owner !== 'network:dhcp') continue;
    for (const a of port.fixed_ips) {
      if (!withoutNameservers.has(a.subnet_id)) continue;
      dhcpIps.set(a.subnet_id, [...(dhcpIps.get(a.subnet_id) ?? []), a.ip_address]);
    }
  }
  for (const [id, ips] of dhcpIps)
    if (ips.length > 1) options.push(`tag:subnet-${id},option:dns-server,${ips.join(',')}`);
  return options.join('\n');
}

/** The dnsmasq command line the agent spawns (_build_cmdline_callback), for `ps` and for the server. */
export function dnsmasqCommand(network: NetworkInfo, s: DnsmasqSettings): string[] {
  const dir = `${s.stateDir}/${network.id}`;
  const cmd = ['dnsmasq', '--no-hosts'];
  if (s.dnsmasqDnsServers.length > 0 || !s.dnsmasqLocalResolv) cmd.push('--no-resolv');
  cmd.push(
    `--pid-file=${dir}/pid`,
    `--dhcp-hostsfile=${dir}/host`,
    `--addn-hosts=${dir}/addn_hosts`,
    `--dhcp-optsfile=${dir}/opts`,
    `--dhcp-leasefile=${dir}/leases`,
    '--dhcp-match=set:ipxe,175',
    '--dhcp-userclass=set:ipxe6,iPXE',
    '--local-service',
    '--bind-dynamic',
  );
  // The OVS interface driver is 'bridged': no --bridge-interface.
  let possible = 0;
  const lease = s.leaseDuration === -1 ? 'infinite' : `${s.leaseDuration}s`;
  for (const sub of networkSubnets(network)) {
    if (sub.enable_dhcp === false || sub.ip_version !== 4) continue;
    const c = parseCidr(sub.cidr);
    if (c === null) continue;
    cmd.push(
      `--dhcp-range=set:subnet-${sub.id},${sub.cidr.split('/')[0]},static,${maskText(c.prefixLen)},${lease}`,
    );
    possible += 2 ** (32 - c.prefixLen);
  }
  if ((network.mtu ?? 0) > 0) cmd.push(`--dhcp-option-force=option:mtu,${network.mtu}`);
  cmd.push(`--dhcp-lease-max=${Math.min(possible, s.dnsmasqLeaseMax)}`);
  cmd.push('--conf-file=/dev/null');
  for (const server of s.dnsmasqDnsServers) cmd.push(`--server=${server}`);
  if (s.dnsDomain) cmd.push(`--domain=${s.dnsDomain}`);
  return cmd;
}

function maskText(prefixLen: number): string {
  const m = prefixMask(prefixLen);
  return `${m >>> 24}.${(m >>> 16) & 255}.${(m >>> 8) & 255}.${m & 255}`;
}

/** The DHCP-enabled IPv4 subnets of a network. */
export function dhcpSubnets(network: NetworkInfo): Subnet[] {
  return networkSubnets(network).filter((x) => x.enable_dhcp !== false && x.ip_version === 4);
}
