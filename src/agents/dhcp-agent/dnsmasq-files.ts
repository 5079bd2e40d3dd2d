// The files dnsmasq reads as Neutron writes them (dnsmasq-config.ts), parsed the way dnsmasq
// reads them: --dhcp-hostsfile lines (`<mac>,<name>,<ip>[,set:<tag>]`) and --dhcp-optsfile /
// --dhcp-option-force lines (`tag:<tag>,…,option:<name>|<code>,<value>…`), and an option line's
// values turned into the DHCP option they configure.
import { type ClasslessRoute, type DhcpOptions, encodeClasslessRoutes } from '../../wire/dhcp.js';
import { parseCidr, parseIp } from '../../wire/ipv4-address.js';

export interface HostConfig {
  mac: string;
  ip: number;
  hostname: string;
  tags: string[];
}

export interface OptionLine {
  tags: string[];
  code: number;
  values: string[];
  forced: boolean;
}

const OPTION_NAMES: Record<string, number> = {
  netmask: 1,
  router: 3,
  'dns-server': 6,
  hostname: 12,
  'domain-name': 15,
  mtu: 26,
  broadcast: 28,
  'ntp-server': 42,
  'classless-static-route': 121,
  T1: 58,
  T2: 59,
  'tftp-server': 66,
  bootfile: 67,
};

/** dhcp-hostsfile lines: `<mac>,[set:tag,][tag:…,]<name>,<ip>[,set:tag]`. */
export function parseHosts(text: string): Map<string, HostConfig> {
  const hosts = new Map<string, HostConfig>();
  for (const line of text.split('\n')) {
    const f = line.trim().split(',');
    if (f.length < 2 || !/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(f[0])) continue;
    const cfg: HostConfig = { mac: f[0].toLowerCase(), ip: 0, hostname: '', tags: [] };
    for (const x of f.slice(1)) {
      if (x.startsWith('set:')) cfg.tags.push(x.slice(4));
      else if (x.startsWith('tag:') || x.startsWith('id:')) continue;
      else if (parseIp(x) !== null) cfg.ip = parseIp(x)!;
      else if (x !== '') cfg.hostname = x.split('.')[0];
    }
    if (cfg.ip !== 0) hosts.set(cfg.mac, cfg);
  }
  return hosts;
}

/** dhcp-option lines: `tag:T,[tag:T2,]option:NAME|CODE,value…`. */
export function parseOptionLine(line: string, forced: boolean): OptionLine {
  const f = line.trim().split(',');
  const tags: string[] = [];
  while (f.length > 0 && f[0].startsWith('tag:')) tags.push(f.shift()!.slice(4));
  const head = f.shift() ?? '';
  const name = head.startsWith('option:') ? head.slice(7) : head;
  const code = /^\d+$/.test(name) ? Number(name) : (OPTION_NAMES[name] ?? -1);
  return { tags, code, values: f, forced };
}

export function setOption(o: DhcpOptions, code: number, values: string[]): void {
  const ips = () => values.map((v) => parseIp(v)).filter((x): x is number => x !== null);
  switch (code) {
    case 3:
      o.routers = ips();
      return;
    case 6:
      o.dnsServers = ips();
      return;
    case 15:
      o.domainName = values.join(',');
      return;
    case 26:
      o.interfaceMtu = Number(values[0]);
      return;
    case 121:
      o.classlessRoutes = routesOf(values);
      return;
    case 249:
      o.other ??= new Map();
      o.other.set(249, encodeClasslessRoutes(routesOf(values)));
      return;
  }
  if (code <= 0 || code >= 255) return;
  o.other ??= new Map();
  const list = ips();
  o.other.set(
    code,
    list.length === values.length && list.length > 0
      ? Uint8Array.from(list.flatMap((x) => [x >>> 24, (x >>> 16) & 255, (x >>> 8) & 255, x & 255]))
      : Uint8Array.from(values.join(','), (c) => c.charCodeAt(0) & 0xff),
  );
}

function routesOf(values: string[]): ClasslessRoute[] {
  const out: ClasslessRoute[] = [];
  for (let i = 0; i + 1 < values.length; i += 2) {
    const c = parseCidr(values[i]);
    const gw = parseIp(values[i + 1]);
    if (c === null || gw === null) continue;
    out.push({ network: c.network, prefixLen: c.prefixLen, gateway: gw });
  }
  return out;
}
