// A small lab for the guest tests and benchmarks: a host with a Linux bridge, guests behind taps
// on it, a namespace standing in for Neutron's qdhcp with a minimal DHCP responder (the DHCP agent
// brings the real one), and optionally a router namespace to a second network.

import type { LinuxBridge } from '../kernel/bridge.js';
import { Host } from '../kernel/host.js';
import type { Namespace } from '../kernel/netns.js';
import { Scheduler } from '../sim/scheduler.js';
import {
  BOOTREPLY,
  buildDhcp,
  DHCPACK,
  DHCPDISCOVER,
  DHCPOFFER,
  DHCPREQUEST,
  parseDhcp,
} from '../wire/dhcp.js';
import { ip, ipToString, parseCidr } from '../wire/ipv4-address.js';
import { parseMac } from '../wire/mac.js';
import { Guest, type GuestOptions } from './guest.js';

export interface LabNetwork {
  br: LinuxBridge;
  cidr: string;
  gateway: string | null;
}

export class GuestLab {
  readonly sched: Scheduler;
  readonly host: Host;
  readonly nets = new Map<string, LabNetwork>();
  private taps = 0;

  constructor(seed = 7) {
    this.sched = new Scheduler({ seed });
    this.host = new Host('compute1', this.sched);
  }

  /** A network: a bridge (MTU 1450 like a VXLAN network's) and its subnet. */
  network(name: string, cidr: string, gateway: string | null): LabNetwork {
    const br = this.host.addBridge(`br-${name}`);
    br.setMtu(1450);
    br.setUp(true);
    const n = { br, cidr, gateway };
    this.nets.set(name, n);
    return n;
  }

  /** A namespace on a network (qdhcp-, qrouter- stand-ins) with an address. */
  namespace(name: string, net: string, cidr: string): Namespace {
    const n = this.nets.get(net)!;
    const ns = this.host.namespaces.get(name) ?? this.host.addNamespace(name);
    const i = ns.devices.size;
    const [inner, outer] = this.host.addVeth(
      `e${i}-${name}`.slice(0, 15),
      `v${this.taps++}-${name}`.slice(0, 15),
      {
        netns: ns,
        peerNetns: this.host.root,
      },
    );
    inner.setMtu(1450);
    outer.setMtu(1450);
    ns.addAddress(inner, cidr);
    inner.setUp(true);
    outer.setUp(true);
    n.br.addPort(outer);
    return ns;
  }

  /**
   * dnsmasq's answers for known MACs (static leases, like Neutron's host file): OFFER and ACK with
   * mask, router, DNS, domain, host name, MTU 1450, lease 86400 and, with a gateway, option 121.
   */
  dhcpServer(ns: Namespace, net: string, leases: Record<string, string>): void {
    const n = this.nets.get(net)!;
    const c = parseCidr(n.cidr)!;
    const dev = [...ns.devices.values()].find((d) => d.name !== 'lo')!;
    const server = dev.addresses[0].address;
    const gw = n.gateway === null ? null : ip(n.gateway);
    const sock = ns.bindUdp(
      0,
      67,
      (d) => {
        const r = parseDhcp(d.payload, 0);
        if (!r.ok) return;
        const req = r.value;
        const yiaddr = leases[req.chaddr];
        if (yiaddr === undefined) return; // dnsmasq: no address available
        const type =
          req.options.messageType === DHCPDISCOVER
            ? DHCPOFFER
            : req.options.messageType === DHCPREQUEST
              ? DHCPACK
              : 0;
        if (type === 0) return;
        const yi = ip(yiaddr);
        const reply = buildDhcp({
          op: BOOTREPLY,
          hops: 0,
          xid: req.xid,
          secs: 0,
          broadcast: false,
          ciaddr: req.ciaddr,
          yiaddr: yi,
          siaddr: server,
          giaddr: 0,
          chaddr: req.chaddr,
          sname: '',
          file: '',
          minLength: 300,
          options: {
            messageType: type,
            serverId: server,
            leaseTime: 86400,
            renewalTime: 43200,
            rebindingTime: 75600,
            subnetMask: c.mask,
            broadcastAddress: (c.network | ~c.mask) >>> 0,
            domainName: 'openstacklocal',
            hostName: `host-${yiaddr.replaceAll('.', '-')}`,
            classlessRoutes:
              gw === null
                ? undefined
                : [
                    { network: ip('169.254.169.254'), prefixLen: 32, gateway: gw },
                    { network: 0, prefixLen: 0, gateway: gw },
                  ],
            routers: gw === null ? undefined : [gw],
            dnsServers: [server],
            interfaceMtu: 1450,
          },
        });
        sock.send(req.ciaddr !== 0 ? req.ciaddr : yi, 68, reply, { dev, dstMac: parseMac(req.chaddr)! });
      },
      { dev },
    );
  }

  /** A guest on a network, powered off. */
  guest(name: string, net: string, mac: string, opts: Partial<GuestOptions> = {}): Guest {
    const n = this.nets.get(net)!;
    const tap = this.host.addTap(`tap${name}`.slice(0, 14), { mtu: 1450 });
    tap.setUp(true);
    n.br.addPort(tap);
    return new Guest({
      sched: this.sched,
      name,
      instanceId: this.taps + 1,
      uuid: `0000000${++this.taps}-1111-2222-3333-444455556666`,
      mac,
      tap,
      flavor: { ram: 512, vcpus: 1, disk: 1 },
      image: 'cirros-0.3.4-x86_64',
      ...opts,
    });
  }

  /** Runs a command to completion under fast pacing. */
  exec(
    g: Guest,
    line: string,
    user: 'root' | 'cirros' = 'root',
    limitS = 600,
  ): { code: number; output: string } {
    let out = '';
    let code = -1;
    g.exec(line, { out: (t) => (out += t), err: (t) => (out += t) }, (c) => (code = c), { user });
    this.sched.runUntil(() => code !== -1, limitS * 1e9);
    return { code, output: out };
  }

  /** Boots and runs until the login prompt (false if it never came). */
  bootAll(guests: Guest[], limitS = 600): boolean {
    for (const g of guests) g.boot();
    return this.sched.runUntil(() => guests.every((g) => g.isBooted), limitS * 1e9);
  }

  addressOf(g: Guest): string {
    const a = g.os?.eth0.addresses[0];
    return a === undefined ? '' : ipToString(a.address);
  }
}
