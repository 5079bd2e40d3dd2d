// The cloud's hosts: all-in-one (packstack's single host with every role), or a
// controller/network node plus N compute nodes, or a YAML file. Each host has an underlay IP
// on the data network and finite RAM, vCPUs and disk, which the scheduler and the emulated
// hosts both use.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

export type HostRole = 'controller' | 'network' | 'compute';

export interface HostSpec {
  name: string;
  roles: HostRole[];
  /** The host's address on the data (underlay) network, e.g. 192.168.136.66. */
  underlayIp: string;
  ramMb: number;
  vcpus: number;
  diskGb: number;
  /** What the host's own OpenStack services use of its RAM (packstack all-in-one: ~5 GB). */
  servicesRamMb: number;
}

export interface Layout {
  name: string;
  /** The data network joining the hosts' NICs. */
  underlayCidr: string;
  hosts: HostSpec[];
}

export class LayoutError extends Error {}

const GB = 1024;
const roles: readonly HostRole[] = ['controller', 'network', 'compute'];

/** 16G, 6144M, 512 (MB) … as `--host-ram` takes it. */
export function parseSizeMb(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]i?B?|[kmgt])?$/i.exec(text.trim());
  if (!m) throw new LayoutError(`invalid size '${text}' (use e.g. 16G, 6144M)`);
  const n = Number(m[1]);
  const unit = (m[2] ?? 'M')[0].toUpperCase();
  const mb = unit === 'K' ? n / 1024 : unit === 'M' ? n : unit === 'G' ? n * GB : n * GB * GB;
  if (!Number.isFinite(mb) || mb < 64) throw new LayoutError(`size '${text}' is too small for a host`);
  return Math.round(mb);
}

/** The seed's host: one packstack all-in-one on 192.168.136.66. */
export function allInOne(): Layout {
  return {
    name: 'allinone',
    underlayCidr: '192.168.136.0/24',
    hosts: [
      {
        name: 'localhost',
        roles: ['controller', 'network', 'compute'],
        underlayIp: '192.168.136.66',
        ramMb: 16 * GB,
        vcpus: 8,
        diskGb: 200,
        servicesRamMb: 5 * GB,
      },
    ],
  };
}

/** A controller/network node plus N compute nodes (compute1 … computeN). */
export function multiNode(computes: number): Layout {
  if (!Number.isInteger(computes) || computes < 1 || computes > 250)
    throw new LayoutError('--computes takes a whole number from 1 to 250');
  const hosts: HostSpec[] = [
    {
      name: 'controller',
      roles: ['controller', 'network'],
      underlayIp: '192.168.136.10',
      ramMb: 16 * GB,
      vcpus: 8,
      diskGb: 200,
      servicesRamMb: 4 * GB,
    },
  ];
  for (let i = 1; i <= computes; i++)
    hosts.push({
      name: `compute${i}`,
      roles: ['compute'],
      underlayIp: `192.168.136.${10 + i}`,
      ramMb: 16 * GB,
      vcpus: 8,
      diskGb: 200,
      servicesRamMb: 1 * GB,
    });
  return { name: `multinode-${computes}`, underlayCidr: '192.168.136.0/24', hosts };
}

/**
 * A layout file:
 *   underlay: 192.168.136.0/24
 *   hosts:
 *     - {name: controller, roles: [controller, network], ip: 192.168.136.10, ram: 16G, vcpus: 8, disk: 200}
 *     - {name: compute1, roles: [compute], ip: 192.168.136.11, ram: 6G}
 */
export function layoutFromYaml(text: string, source = 'layout'): Layout {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw new LayoutError(`${source}: not valid YAML: ${(e as Error).message}`);
  }
  const d = doc as { underlay?: unknown; hosts?: unknown };
  if (!d || !Array.isArray(d.hosts) || d.hosts.length === 0)
    throw new LayoutError(`${source}: needs a non-empty 'hosts' list`);
  const underlayCidr = typeof d.underlay === 'string' ? d.underlay : '192.168.136.0/24';
  const seen = new Set<string>();
  const hosts = d.hosts.map((h: Record<string, unknown>, i: number): HostSpec => {
    const where = `${source}: hosts[${i}]`;
    if (typeof h?.name !== 'string' || !/^[a-z0-9][a-z0-9.-]{0,62}$/i.test(h.name))
      throw new LayoutError(`${where}: 'name' must be a host name`);
    if (seen.has(h.name)) throw new LayoutError(`${where}: duplicate host name ${h.name}`);
    seen.add(h.name);
    const r = (Array.isArray(h.roles) ? h.roles : ['compute']) as string[];
    for (const x of r)
      if (!roles.includes(x as HostRole))
        throw new LayoutError(`${where}: unknown role '${x}' (controller, network, compute)`);
    if (typeof h.ip !== 'string' || !/^\d+\.\d+\.\d+\.\d+$/.test(h.ip))
      throw new LayoutError(`${where}: 'ip' must be an IPv4 address`);
    const num = (k: string, dflt: number) => {
      const v = h[k];
      if (v === undefined) return dflt;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
        throw new LayoutError(`${where}: '${k}' must be a positive whole number`);
      return v;
    };
    return {
      name: h.name,
      roles: r as HostRole[],
      underlayIp: h.ip,
      ramMb: h.ram === undefined ? 16 * GB : parseSizeMb(String(h.ram)),
      vcpus: num('vcpus', 8),
      diskGb: num('disk', 200),
      servicesRamMb:
        h.services_ram === undefined
          ? r.includes('controller')
            ? 5 * GB
            : 1 * GB
          : parseSizeMb(String(h.services_ram)),
    };
  });
  if (!hosts.some((h) => h.roles.includes('compute')))
    throw new LayoutError(`${source}: no host has the compute role`);
  if (!hosts.some((h) => h.roles.includes('network')))
    throw new LayoutError(`${source}: no host has the network role`);
  return { name: source, underlayCidr, hosts };
}

export interface LayoutOptions {
  /** 'allinone' (default), 'multinode', or a path to a YAML file. */
  layout?: string;
  computes?: number;
  /** Overrides the compute hosts' RAM (`--host-ram 6G`). */
  hostRam?: string;
}

export function resolveLayout(o: LayoutOptions = {}): Layout {
  const name = o.layout ?? 'allinone';
  let layout: Layout;
  if (name === 'allinone') layout = allInOne();
  else if (name === 'multinode') layout = multiNode(o.computes ?? 2);
  else {
    let text: string;
    try {
      text = readFileSync(name, 'utf8');
    } catch (e) {
      throw new LayoutError(`cannot read layout file ${name}: ${(e as Error).message}`);
    }
    layout = layoutFromYaml(text, name);
  }
  if (o.hostRam !== undefined) {
    const ramMb = parseSizeMb(o.hostRam);
    layout = {
      ...layout,
      hosts: layout.hosts.map((h) => (h.roles.includes('compute') ? { ...h, ramMb } : h)),
    };
  }
  return layout;
}
