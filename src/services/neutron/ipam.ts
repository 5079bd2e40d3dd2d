// Neutron's internal IPAM (neutron/ipam/drivers/neutrondb_ipam, db/ipam_backend_mixin.py):
// a subnet's gateway defaults to its first host address and its allocation pools to the rest;
// a port gets an address chosen at random among the free ones of a pool (as Zed does — real
// clouds show 10.0.0.132, not .2); a requested address must lie in the subnet and be free.
import type { Doc, NeutronRepo } from '../../store/neutron-repo.js';
import {
  formatIp,
  formatNet,
  type IpNet,
  lastAddress,
  netContains,
  netsOverlap,
  parseIp,
  parseNet,
} from './address.js';
import { neutronErrors as E } from './errors.js';

export interface Pool {
  start: string;
  end: string;
}

/** The first and last usable host addresses (IPv4 excludes network and broadcast). */
function hostRange(net: IpNet): [bigint, bigint] {
  if (net.version === 4) {
    if (net.prefixLen >= 31) return [net.network, lastAddress(net)];
    return [net.network + 1n, lastAddress(net) - 1n];
  }
  // IPv6: the subnet-router anycast address (host bits zero) is not handed out.
  return [net.network + 1n, lastAddress(net)];
}

/** The pools that remain of the host range once the gateway is taken out (Neutron's default). */
export function defaultPools(net: IpNet, gateway: bigint | null): Pool[] {
  const [first, last] = hostRange(net);
  const ranges: [bigint, bigint][] = [];
  if (gateway === null || gateway < first || gateway > last) ranges.push([first, last]);
  else {
    if (gateway > first) ranges.push([first, gateway - 1n]);
    if (gateway < last) ranges.push([gateway + 1n, last]);
  }
  return ranges.map(([a, b]) => ({ start: formatIp(net.version, a), end: formatIp(net.version, b) }));
}

export interface SubnetRequest {
  cidr: unknown;
  ip_version: unknown;
  gateway_ip?: unknown;
  allocation_pools?: unknown;
}

export interface ValidatedSubnet {
  cidr: string;
  net: IpNet;
  gateway_ip: string | null;
  allocation_pools: Pool[];
}

/** Validates cidr, gateway and pools of a new subnet against the network's other subnets. */
export function validateSubnet(
  req: SubnetRequest,
  networkId: string,
  others: readonly Doc[],
): ValidatedSubnet {
  const cidrText = String(req.cidr);
  const net = typeof req.cidr === 'string' ? parseNet(req.cidr) : null;
  if (!net || !cidrText.includes('/')) throw E.invalidInput(`${cidrText} is not in a CIDR format`);
  if (net.network !== net.ip)
    throw E.invalidAttribute(
      'cidr',
      `'${cidrText}' isn't a recognized IP subnet cidr, '${formatNet(net)}' is recommended`,
    );
  if (req.ip_version !== net.version)
    throw E.invalidInput(`Cidr ${cidrText} does not match IP version ${String(req.ip_version)}`);
  if ((net.version === 4 && net.prefixLen > 30) || (net.version === 6 && net.prefixLen > 126)) {
    // Neutron refuses subnets with no room for a gateway and a host.
    if (net.prefixLen === (net.version === 4 ? 32 : 128))
      throw E.invalidInput(`Invalid CIDR ${cidrText} for IPv${net.version} address family`);
  }
  for (const o of others) {
    const on = parseNet(o.cidr as string);
    if (on && netsOverlap(net, on))
      throw E.invalidInput(
        `Requested subnet with cidr: ${formatNet(net)} for network: ${networkId} overlaps with another subnet`,
      );
  }

  let gateway: bigint | null;
  if (req.gateway_ip === undefined) gateway = hostRange(net)[0];
  else if (req.gateway_ip === null) gateway = null;
  else {
    const g = typeof req.gateway_ip === 'string' ? parseIp(req.gateway_ip) : null;
    if (!g || g.version !== net.version)
      throw E.invalidAttribute('gateway_ip', `'${String(req.gateway_ip)}' is not a valid IP address`);
    // A gateway equal to the network (or IPv4 broadcast) address is refused; outside the CIDR
    // is accepted, as Neutron does (the router reaches it on-link).
    if (g.value === net.network || (net.version === 4 && g.value === lastAddress(net) && net.prefixLen < 31))
      throw E.invalidInput('Gateway is not valid on subnet');
    gateway = g.value;
  }

  let pools: Pool[];
  if (req.allocation_pools === undefined || req.allocation_pools === null) pools = defaultPools(net, gateway);
  else pools = validatePools(req.allocation_pools, net, gateway);
  return {
    cidr: formatNet(net),
    net,
    gateway_ip: gateway === null ? null : formatIp(net.version, gateway),
    allocation_pools: pools,
  };
}

function validatePools(raw: unknown, net: IpNet, gateway: bigint | null): Pool[] {
  if (!Array.isArray(raw))
    throw E.invalidAttribute('allocation_pools', `Invalid data format for IP pool: '${String(raw)}'`);
  const ranges: { a: bigint; b: bigint; text: string }[] = [];
  for (const p of raw as Record<string, unknown>[]) {
    const s = typeof p?.start === 'string' ? parseIp(p.start) : null;
    const e = typeof p?.end === 'string' ? parseIp(p.end) : null;
    const text = `${String(p?.start)}-${String(p?.end)}`;
    if (!s || !e || s.version !== net.version || e.version !== net.version || s.value > e.value)
      throw E.httpBadRequest(`The allocation pool ${text} is not valid.`);
    if (!netContains(net, s.version, s.value) || !netContains(net, e.version, e.value))
      throw E.httpBadRequest(`The allocation pool ${text} spans beyond the subnet cidr ${formatNet(net)}.`);
    ranges.push({ a: s.value, b: e.value, text });
  }
  for (let i = 0; i < ranges.length; i++)
    for (let j = i + 1; j < ranges.length; j++)
      if (ranges[i].a <= ranges[j].b && ranges[j].a <= ranges[i].b)
        throw E.httpBadRequest(
          `Found overlapping allocation pools: ${ranges[i].text} ${ranges[j].text} for subnet ${formatNet(net)}.`,
        );
  if (gateway !== null)
    for (const r of ranges)
      if (gateway >= r.a && gateway <= r.b)
        throw E.gatewayConflictWithAllocationPools(formatIp(net.version, gateway), r.text);
  return ranges.map((r) => ({ start: formatIp(net.version, r.a), end: formatIp(net.version, r.b) }));
}

const poolRanges = (subnet: Doc): [bigint, bigint][] =>
  (subnet.allocation_pools as Pool[]).map((p) => [
    parseIp(p.start)?.value ?? 0n,
    parseIp(p.end)?.value ?? 0n,
  ]);

function randomBelow(n: bigint): bigint {
  if (n <= 0x7fffffffn) return BigInt(Math.floor(Math.random() * Number(n)));
  // Two 53-bit draws are plenty for the pools of an emulated cloud.
  const r =
    (BigInt(Math.floor(Math.random() * 2 ** 53)) << 53n) | BigInt(Math.floor(Math.random() * 2 ** 53));
  return r % n;
}

/** Number of addresses in the subnet's pools. */
export function poolCapacity(subnet: Doc): bigint {
  return poolRanges(subnet).reduce((n, [a, b]) => n + (b >= a ? b - a + 1n : 0n), 0n);
}

/**
 * A free address of the subnet's pools, or null when they are full. Random probes first (cheap
 * while the pools are sparse); then a scan of the first free addresses, one picked at random
 * among up to 1000, as Zed's IPAM does.
 */
export function pickFreeIp(repo: NeutronRepo, subnet: Doc): string | null {
  const net = parseNet(subnet.cidr as string);
  if (!net) return null;
  const ranges = poolRanges(subnet).filter(([a, b]) => b >= a);
  const total = ranges.reduce((n, [a, b]) => n + (b - a + 1n), 0n);
  if (total === 0n) return null;
  const id = subnet.id;
  const nth = (k: bigint): bigint => {
    for (const [a, b] of ranges) {
      const size = b - a + 1n;
      if (k < size) return a + k;
      k -= size;
    }
    return ranges[0][0];
  };
  for (let i = 0; i < 8; i++) {
    const ip = formatIp(net.version, nth(randomBelow(total)));
    if (!repo.ipAllocated(id, ip)) return ip;
  }
  const used = new Set(repo.allocatedIps(id));
  const free: string[] = [];
  for (const [a, b] of ranges) {
    for (let x = a; x <= b && free.length < 1000; x++) {
      const ip = formatIp(net.version, x);
      if (!used.has(ip)) free.push(ip);
    }
    if (free.length >= 1000) break;
  }
  return free.length ? free[Math.floor(Math.random() * free.length)] : null;
}

/** Checks an address asked for on a subnet: inside it, not its network/broadcast address. */
export function checkRequestedIp(subnet: Doc, text: string): string {
  const net = parseNet(subnet.cidr as string);
  const ip = parseIp(text);
  if (!net || !ip || !netContains(net, ip.version, ip.value)) throw E.invalidIpForSubnet(text);
  if (net.version === 4 && net.prefixLen < 31 && (ip.value === net.network || ip.value === lastAddress(net)))
    throw E.invalidIpForSubnet(text);
  return formatIp(ip.version, ip.value);
}

/** The subnet of the network holding the address, if any. */
export function subnetForIp(subnets: readonly Doc[], text: string): Doc | undefined {
  const ip = parseIp(text);
  if (!ip) return undefined;
  return subnets.find((s) => {
    const net = parseNet(s.cidr as string);
    return net !== null && netContains(net, ip.version, ip.value);
  });
}
