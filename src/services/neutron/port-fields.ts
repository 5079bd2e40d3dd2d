// What a port is made of besides its row: its MAC (from base_mac, unique), its fixed IPs (from
// IPAM, written as allocation rows), its allowed address pairs and extra DHCP options, checked as
// Neutron checks them.
import { randomInt } from 'node:crypto';
import type { Doc } from '../../store/neutron-repo.js';
import { formatIp, parseNet } from './address.js';
import type { NeutronCore } from './core.js';
import { neutronErrors as E } from './errors.js';
import { checkRequestedIp, pickFreeIp, subnetForIp } from './ipam.js';

export const MAC = /^([0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}$/;

export interface FixedIpRequest {
  subnet_id?: string;
  ip_address?: string;
}

export function macFor(core: NeutronCore, networkId: string, asked: string | undefined): string {
  if (asked !== undefined) {
    if (!MAC.test(asked)) throw E.invalidAttribute('mac_address', `'${asked}' is not a valid MAC address`);
    const mac = asked.toLowerCase().replaceAll('-', ':');
    if (core.repo.ports.count({ network_id: networkId, mac_address: mac }) > 0)
      throw E.macAddressInUse(networkId, mac);
    return mac;
  }
  // base_mac fa:16:3e:00:00:00 — the first three octets fixed, the rest random; unique in the cloud.
  const base = core.config.baseMac.split(':');
  for (let attempt = 0; attempt < 16; attempt++) {
    const mac = base
      .map((o, i) => (i < 3 || o !== '00' ? o : randomInt(0, 256).toString(16).padStart(2, '0')))
      .join(':')
      .toLowerCase();
    if (!core.repo.macInUse(mac)) return mac;
  }
  throw E.macAddressInUse(networkId, 'generated');
}

export function addressPairs(
  raw: unknown,
  mac: string,
  portSecurity: boolean,
): { ip_address: string; mac_address: string }[] {
  if (raw === undefined || raw === null) return [];
  const list = raw as Record<string, unknown>[];
  if (list.length && !portSecurity) throw E.addressPairAndPortSecurityRequired();
  const seen = new Set<string>();
  return list.map((p) => {
    const unknown = Object.keys(p).filter((k) => k !== 'ip_address' && k !== 'mac_address');
    if (unknown.length)
      throw E.invalidAttribute('allowed_address_pairs', `Unrecognized attribute(s) '${unknown.join(', ')}'`);
    if (typeof p.ip_address !== 'string' || !parseNet(p.ip_address))
      throw E.invalidAttribute(
        'allowed_address_pairs',
        `'${String(p.ip_address)}' is not a valid IP address`,
      );
    const pmac = p.mac_address === undefined ? mac : String(p.mac_address).toLowerCase();
    if (!MAC.test(pmac))
      throw E.invalidAttribute('allowed_address_pairs', `'${pmac}' is not a valid MAC address`);
    const key = `${p.ip_address}|${pmac}`;
    if (seen.has(key)) throw E.invalidAttribute('allowed_address_pairs', 'Duplicate address pair in request');
    seen.add(key);
    return { ip_address: p.ip_address, mac_address: pmac };
  });
}

/** An IPv6 subnet whose addresses hosts make themselves from their MAC (SLAAC). */
const autoAddress = (s: Doc) =>
  s.ip_version === 6 && (s.ipv6_address_mode === 'slaac' || s.ipv6_address_mode === 'dhcpv6-stateless');

/** The EUI-64 address of a MAC in an IPv6 /64 (netaddr's eui64, as Neutron computes it). */
export function eui64(cidr: string, mac: string): string | null {
  const net = parseNet(cidr);
  if (net?.version !== 6) return null;
  const b = mac.split(':').map((x) => Number.parseInt(x, 16));
  const iid = [b[0] ^ 0x02, b[1], b[2], 0xff, 0xfe, b[3], b[4], b[5]].reduce(
    (n, x) => (n << 8n) | BigInt(x),
    0n,
  );
  return formatIp(6, net.network | iid);
}

/**
 * Addresses for a port: those asked for (by subnet and/or address), or one from each IP
 * version's subnets of the network (and every SLAAC subnet's EUI-64 address). Writes the
 * allocation rows.
 */
export function allocateFixedIps(
  core: NeutronCore,
  network: Doc,
  port: { id: string; mac_address: string; device_owner: string },
  asked: FixedIpRequest[] | undefined,
): { subnet_id: string; ip_address: string }[] {
  const portId = port.id;
  const deviceOwner = port.device_owner;
  const pick = (s: Doc) =>
    autoAddress(s) && !isRouterPort(deviceOwner)
      ? eui64(s.cidr as string, port.mac_address)
      : pickFreeIp(core.repo, s);
  const subnets = core.repo.subnets.list({ network_id: network.id });
  const out: { subnet_id: string; ip_address: string }[] = [];
  const take = (subnet: Doc, ip: string) => {
    if (core.repo.ipAllocated(subnet.id, ip)) throw E.ipAddressAlreadyAllocated(ip, subnet.id);
    core.repo.insertAllocation({
      subnet_id: subnet.id,
      ip_address: ip,
      network_id: network.id,
      port_id: portId,
    });
    out.push({ subnet_id: subnet.id, ip_address: ip });
  };
  if (asked !== undefined) {
    if (asked.length > core.config.maxFixedIpsPerPort)
      throw E.invalidInput('Exceeded maximum amount of fixed ips per port');
    for (const f of asked) {
      const unknown = Object.keys(f).filter((k) => k !== 'subnet_id' && k !== 'ip_address');
      if (unknown.length) throw E.invalidInput(`Invalid data format for fixed IP: '${JSON.stringify(f)}'`);
      let subnet: Doc | undefined;
      if (f.subnet_id !== undefined) {
        subnet = core.repo.subnets.get(f.subnet_id);
        if (!subnet) throw E.subnetNotFound(f.subnet_id);
        if (subnet.network_id !== network.id)
          throw E.invalidInput(
            `Failed to create port on network ${network.id}, because fixed_ips included invalid subnet ${f.subnet_id}`,
          );
      }
      if (f.ip_address !== undefined) {
        if (!subnet) {
          subnet = subnetForIp(subnets, f.ip_address);
          if (!subnet) throw E.invalidIpForNetwork(f.ip_address);
        }
        take(subnet, checkRequestedIp(subnet, f.ip_address));
      } else if (subnet) {
        const ip = pick(subnet);
        if (!ip) throw E.ipAddressGenerationFailure(network.id);
        take(subnet, ip);
      }
    }
    return out;
  }
  // No request: one address of each IP version, from the first subnet that has room (a
  // router gateway or floating IP takes IPv4 only).
  if (
    !isRouterPort(deviceOwner) &&
    deviceOwner !== 'network:router_gateway' &&
    deviceOwner !== 'network:floatingip'
  )
    for (const s of subnets.filter(autoAddress)) {
      const ip = eui64(s.cidr as string, port.mac_address);
      if (ip) take(s, ip);
    }
  for (const version of [4, 6]) {
    const candidates = subnets.filter((s) => s.ip_version === version && !autoAddress(s));
    if (candidates.length === 0) continue;
    if (version === 6 && (deviceOwner === 'network:router_gateway' || deviceOwner === 'network:floatingip'))
      continue;
    let done = false;
    for (const s of candidates) {
      const ip = pick(s);
      if (ip) {
        take(s, ip);
        done = true;
        break;
      }
    }
    if (!done) throw E.ipAddressGenerationFailure(network.id);
  }
  return out;
}

export function hasIpAddress(fixedIps: unknown): boolean {
  return Array.isArray(fixedIps) && fixedIps.some((f) => (f as FixedIpRequest)?.ip_address !== undefined);
}

export function extraDhcpOpts(raw: unknown): { opt_name: string; opt_value: string; ip_version: number }[] {
  if (raw === undefined || raw === null) return [];
  return (raw as Record<string, unknown>[]).map((o) => {
    if (typeof o.opt_name !== 'string' || o.opt_value === undefined)
      throw E.invalidAttribute(
        'extra_dhcp_opts',
        `Invalid data format for extra-dhcp-opt: ${JSON.stringify(o)}`,
      );
    return { opt_name: o.opt_name, opt_value: String(o.opt_value), ip_version: Number(o.ip_version ?? 4) };
  });
}

const isRouterPort = (owner: string) =>
  owner === 'network:router_interface' || owner === 'network:ha_router_replicated_interface';
