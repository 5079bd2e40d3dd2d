// dnsmasq as Neutron runs it in a qdhcp namespace: a DHCP server on UDP 67 of the namespace's
// tap device, configured the way the real one is — by its command line (--dhcp-range per subnet
// in `static` mode, --dhcp-option-force=option:mtu, --domain) and by the files the agent writes
// (--dhcp-hostsfile, --dhcp-optsfile), re-read on SIGHUP (`reload()`). Only MACs listed in the
// host file get an answer. Replies copy dnsmasq 2.89's: option order 53,54,51,58,59,1,28,15,12,
// 121,3,6,26; netmask, broadcast and lease times always; router, DNS (its own address unless the
// opts give dns-server), domain, host name and the opts' options when the client asks for them;
// forced options (MTU) always; IP TOS 0xc0; unicast to the offered address and the client's MAC
// unless the client set the broadcast flag; NAKs broadcast.
import type { NetDevice } from '../../kernel/device.js';
import type { Namespace } from '../../kernel/netns.js';
import type { UdpDatagram, UdpSocket } from '../../kernel/sockets.js';
import type { Logger } from '../../sim/oslo-log.js';
import {
  BOOTP_MIN_LEN,
  BOOTREPLY,
  BOOTREQUEST,
  buildDhcp,
  DHCP_CLIENT_PORT,
  DHCP_SERVER_PORT,
  DHCPACK,
  DHCPDECLINE,
  DHCPDISCOVER,
  DHCPINFORM,
  DHCPNAK,
  DHCPOFFER,
  DHCPRELEASE,
  DHCPREQUEST,
  type DhcpOptions,
  type DhcpRepr,
  parseDhcp,
} from '../../wire/dhcp.js';
import { ipToString, parseIp, prefixMask } from '../../wire/ipv4-address.js';
import { mac as macBytes } from '../../wire/mac.js';
import { type HostConfig, type OptionLine, parseHosts, parseOptionLine, setOption } from './dnsmasq-files.js';

interface Context {
  tag: string;
  network: number;
  prefixLen: number;
  /** Lease seconds; 0 = infinite. */
  lease: number;
}

export interface Lease {
  /** Epoch seconds, 0 = infinite. */
  expiry: number;
  mac: string;
  ip: string;
  hostname: string;
  clientId: string;
}

const IP_TOS_CS6 = 0xc0;

export interface DnsmasqOptions {
  ns: Namespace;
  dev: NetDevice;
  /** The command line (dnsmasqCommand). */
  argv: string[];
  /** Reads one of its files (host, opts, leases) by path; '' when missing. */
  readFile: (path: string) => string;
  /** Wall-clock ms, for lease expiry times. */
  wallMs: () => number;
  log: Logger;
}

export class Dnsmasq {
  private readonly contexts: Context[] = [];
  private readonly forced: OptionLine[] = [];
  private domain = '';
  private hostsPath = '';
  private optsPath = '';
  private hosts = new Map<string, HostConfig>();
  private options: OptionLine[] = [];
  /** The lease database, by MAC (dnsmasq's lease list, written to --dhcp-leasefile). */
  readonly leases = new Map<string, Lease>();
  private readonly sock: UdpSocket;
  /** Replies sent, by message type name (for tests and `ps`-like views). */
  readonly stats = { offers: 0, acks: 0, naks: 0, ignored: 0 };

  constructor(private readonly o: DnsmasqOptions) {
    let leasesPath = '';
    for (const arg of o.argv) {
      const [k, v] = splitArg(arg);
      if (k === '--dhcp-range') this.addRange(v);
      else if (k === '--dhcp-option-force') this.forced.push(parseOptionLine(v, true));
      else if (k === '--domain') this.domain = v;
      else if (k === '--dhcp-hostsfile') this.hostsPath = v;
      else if (k === '--dhcp-optsfile') this.optsPath = v;
      else if (k === '--dhcp-leasefile') leasesPath = v;
    }
    if (leasesPath) this.loadLeases(o.readFile(leasesPath));
    this.reload();
    this.sock = o.ns.bindUdp(0, DHCP_SERVER_PORT, this.onDatagram, { dev: o.dev });
  }

  stop(): void {
    this.sock.close();
  }

  /** SIGHUP: re-read the host and opts files. */
  reload(): void {
    this.hosts = parseHosts(this.o.readFile(this.hostsPath));
    this.options = this.o
      .readFile(this.optsPath)
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => parseOptionLine(l, false));
  }

  /** dhcp_release: forget the lease of `mac` (Neutron calls it for deleted ports). */
  release(mac: string): void {
    this.leases.delete(mac.toLowerCase());
  }

  /** The --dhcp-leasefile contents: `<expiry> <mac> <ip> <hostname> <client-id>`. */
  leasesFile(): string {
    return [...this.leases.values()]
      .map((l) => `${l.expiry} ${l.mac} ${l.ip} ${l.hostname || '*'} ${l.clientId || '*'}\n`)
      .join('');
  }

  private addRange(v: string): void {
    // set:subnet-<id>,10.0.0.0,static,255.255.255.0,86400s
    const parts = v.split(',');
    const tag = parts[0].startsWith('set:') ? parts.shift()!.slice(4) : '';
    const network = parseIp(parts[0]);
    const mask = parseIp(parts[2] ?? '');
    if (network === null || mask === null) return;
    const prefixLen = 32 - countZeros(mask);
    const leaseText = parts[3] ?? '3600s';
    const lease = leaseText === 'infinite' ? 0 : Number.parseInt(leaseText, 10);
    this.contexts.push({ tag, network, prefixLen, lease });
  }

  private loadLeases(text: string): void {
    for (const line of text.split('\n')) {
      const f = line.trim().split(' ');
      if (f.length !== 5 || f[0] === 'duid') continue;
      this.leases.set(f[1].toLowerCase(), {
        expiry: Number(f[0]),
        mac: f[1].toLowerCase(),
        ip: f[2],
        hostname: f[3] === '*' ? '' : f[3],
        clientId: f[4] === '*' ? '' : f[4],
      });
    }
  }

  /** The context (dhcp-range) of an address on which we have an interface address, and that address. */
  private contextOf(ip: number): { ctx: Context; server: number } | null {
    for (const ctx of this.contexts) {
      const mask = prefixMask(ctx.prefixLen);
      if ((ip & mask) >>> 0 !== ctx.network) continue;
      const a = this.o.dev.addresses.find((x) => (x.address & mask) >>> 0 === ctx.network);
      if (a !== undefined) return { ctx, server: a.address };
    }
    return null;
  }

  private onDatagram = (d: UdpDatagram): void => {
    const r = parseDhcp(d.payload, 0);
    if (!r.ok || r.value.op !== BOOTREQUEST) return;
    const req = r.value;
    const type = req.options.messageType;
    const iface = this.o.dev.name;
    const mac = req.chaddr.toLowerCase();
    const host = this.hosts.get(mac);
    const name = type === undefined ? 'BOOTP' : (TYPE_NAMES[type] ?? `DHCP${type}`);
    const where = host ? this.contextOf(host.ip) : null;
    if (host === undefined || where === null) {
      // static mode: nothing to offer a MAC the host file does not list
      if (type === DHCPDISCOVER) this.o.log.debug(`${name}(${iface}) ${mac} no address available`);
      this.stats.ignored++;
      return;
    }
    const { ctx, server } = where;
    const hostIp = ipToString(host.ip);
    switch (type) {
      case DHCPDISCOVER:
        this.reply(req, DHCPOFFER, host, ctx, server);
        this.stats.offers++;
        return;
      case DHCPREQUEST: {
        const sid = req.options.serverId;
        if (sid !== undefined && sid !== server) {
          // The client chose another server's offer.
          this.stats.ignored++;
          return;
        }
        const wanted = req.options.requestedIp ?? req.ciaddr;
        if (wanted !== host.ip) {
          this.nak(req, server, wanted === 0 ? 'no address requested' : 'wrong address');
          return;
        }
        this.reply(req, DHCPACK, host, ctx, server);
        this.stats.acks++;
        const now = Math.floor(this.o.wallMs() / 1000);
        this.leases.delete(mac);
        this.leases.set(mac, {
          expiry: ctx.lease === 0 ? 0 : now + ctx.lease,
          mac,
          ip: hostIp,
          hostname: host.hostname,
          clientId: req.options.clientId ? hexColon(req.options.clientId) : '',
        });
        return;
      }
      case DHCPRELEASE:
      case DHCPDECLINE:
        if (this.leases.get(mac)?.ip === hostIp) this.leases.delete(mac);
        return;
      case DHCPINFORM:
        this.reply(req, DHCPACK, host, ctx, server, true);
        return;
    }
  };

  private reply(
    req: DhcpRepr,
    type: number,
    host: HostConfig,
    ctx: Context,
    server: number,
    inform = false,
  ): void {
    const tags = new Set([ctx.tag, ...host.tags, 'known']);
    const wants = (code: number) => req.options.parameterRequestList?.includes(code) ?? true;
    const o: DhcpOptions = { messageType: type, serverId: server };
    if (!inform && ctx.lease > 0) {
      o.leaseTime = ctx.lease;
      o.renewalTime = Math.floor(ctx.lease / 2);
      o.rebindingTime = Math.floor((ctx.lease * 7) / 8);
    } else if (!inform) o.leaseTime = 0xffffffff;
    const mask = prefixMask(ctx.prefixLen);
    o.subnetMask = mask;
    o.broadcastAddress = (ctx.network | ~mask) >>> 0;
    if (this.domain && wants(15)) o.domainName = this.domain;
    if (host.hostname && wants(12)) o.hostName = host.hostname;
    const configured = new Map<number, OptionLine>();
    for (const line of this.options) if (line.tags.every((t) => tags.has(t))) configured.set(line.code, line);
    for (const line of this.forced) if (line.tags.every((t) => tags.has(t))) configured.set(line.code, line);
    // Without a dns-server option dnsmasq offers itself (it answers DNS in the namespace).
    if (wants(6) && !configured.has(6)) o.dnsServers = [server];
    for (const [code, line] of configured) {
      // An option given without a value (`option:router` on a subnet without gateway) is not sent.
      if ((!line.forced && !wants(code)) || line.values.length === 0) continue;
      setOption(o, code, line.values);
    }
    const rep: DhcpRepr = {
      op: BOOTREPLY,
      hops: 0,
      xid: req.xid,
      secs: 0,
      broadcast: req.broadcast,
      ciaddr: req.ciaddr,
      yiaddr: inform ? 0 : host.ip,
      siaddr: server,
      giaddr: req.giaddr,
      chaddr: req.chaddr,
      sname: '',
      file: '',
      options: o,
      minLength: BOOTP_MIN_LEN,
    };
    // dhcp.c send_packet: renewing clients get unicast to ciaddr, clients that set the broadcast
    // flag get a broadcast, the rest unicast to the offered address at the client's MAC.
    if (req.ciaddr !== 0) this.send(rep, req.ciaddr, server, null);
    else if (req.broadcast) this.send(rep, 0xffffffff, server, null);
    else this.send(rep, host.ip, server, macBytes(req.chaddr));
    const what = TYPE_NAMES[type];
    this.o.log.debug(`${what}(${this.o.dev.name}) ${ipToString(host.ip)} ${req.chaddr} ${host.hostname}`);
  }

  private nak(req: DhcpRepr, server: number, message: string): void {
    this.stats.naks++;
    const rep: DhcpRepr = {
      op: BOOTREPLY,
      hops: 0,
      xid: req.xid,
      secs: 0,
      broadcast: req.broadcast,
      ciaddr: 0,
      yiaddr: 0,
      siaddr: 0,
      giaddr: req.giaddr,
      chaddr: req.chaddr,
      sname: '',
      file: '',
      options: { messageType: DHCPNAK, serverId: server, message },
      minLength: BOOTP_MIN_LEN,
    };
    this.send(rep, 0xffffffff, server, null);
    this.o.log.debug(`DHCPNAK(${this.o.dev.name}) ${req.chaddr} ${message}`);
  }

  private send(rep: DhcpRepr, dst: number, src: number, dstMac: Uint8Array | null): void {
    this.sock.send(dst, DHCP_CLIENT_PORT, buildDhcp(rep), {
      dev: this.o.dev,
      src,
      tos: IP_TOS_CS6,
      ...(dstMac ? { dstMac } : {}),
    });
  }
}

const TYPE_NAMES: Record<number, string> = {
  [DHCPDISCOVER]: 'DHCPDISCOVER',
  [DHCPOFFER]: 'DHCPOFFER',
  [DHCPREQUEST]: 'DHCPREQUEST',
  [DHCPACK]: 'DHCPACK',
  [DHCPNAK]: 'DHCPNAK',
  [DHCPRELEASE]: 'DHCPRELEASE',
  [DHCPDECLINE]: 'DHCPDECLINE',
  [DHCPINFORM]: 'DHCPINFORM',
};

function splitArg(arg: string): [string, string] {
  const i = arg.indexOf('=');
  return i < 0 ? [arg, ''] : [arg.slice(0, i), arg.slice(i + 1)];
}

function countZeros(mask: number): number {
  let n = 0;
  while (n < 32 && ((mask >>> n) & 1) === 0) n++;
  return n;
}

function hexColon(b: Uint8Array): string {
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
}
