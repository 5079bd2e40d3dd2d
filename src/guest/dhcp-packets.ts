// What busybox udhcpc puts in its messages and how it frames them (networking/udhcp/dhcpc.c and
// packet.c of 1.20): the client id (type 1 + MAC), the vendor class `udhcp <version>`, option 57
// = 576, the parameter request list (busybox's OPTION_REQ entries plus -O ones), the -x host name,
// padding to the BOOTP minimum of 300 bytes; raw broadcasts from 0.0.0.0 with TTL 64. Also the
// messages it prints, in busybox 1.20's and 1.29's wording, and the lease it hands its script.

import {
  BOOTREQUEST,
  buildDhcp,
  DHCP_CLIENT_PORT,
  DHCP_SERVER_PORT,
  DHCPRELEASE,
  DHCPREQUEST,
  type DhcpOptions,
  type DhcpRepr,
  OPT_MAX_MESSAGE_SIZE,
  OPT_MESSAGE_TYPE,
  OPT_PARAMETER_LIST,
  OPT_REQUESTED_IP,
  OPT_SERVER_ID,
  OPT_VENDOR_CLASS,
  parseDhcp,
} from '../wire/dhcp.js';
import { ETHERTYPE_IPV4 } from '../wire/ethernet.js';
import { emitIpv4, IP_PROTO_UDP, ipv4HeaderLen, ipv4Repr } from '../wire/ipv4.js';
import { emitUdp, UDP_HEADER_LEN } from '../wire/udp.js';
import type { CirrosRelease } from './cirros.js';

/** What the script gets (busybox exports these as environment variables). */
export interface Lease {
  interface: string;
  ip: number;
  subnet?: number;
  broadcast?: number;
  router: number[];
  dns: number[];
  domain?: string;
  hostname?: string;
  mtu?: number;
  /** Option 121 as pairs, as the `staticroutes` variable. */
  staticroutes: { network: number; prefixLen: number; gateway: number }[];
  lease: number;
  serverid: number;
}

/** busybox's dhcp_optflags entries with OPTION_REQ, in table order: subnet, router, dns, hostname, domain, broadcast, ntp. */
const DEFAULT_REQUESTED = [1, 3, 6, 12, 15, 28, 42];
/** IP_UDP_DHCP_SIZE: the largest reply udhcpc accepts (576), sent as option 57. */
const MAX_SIZE = 576;

/** The busybox message texts of a release. */
export function udhcpcMessages(r: CirrosRelease) {
  if (r.udhcpcStyle === '1.29') {
    const p = 'udhcpc: ';
    return {
      started: `${p}started, v${r.busybox}`,
      discover: `${p}sending discover`,
      select: (ip: string) => `${p}sending select for ${ip}`,
      lease: (ip: string, t: number) => `${p}lease of ${ip} obtained, lease time ${t}`,
      noLease: `${p}no lease, failing`,
      renew: (srv: string) => `${p}sending renew to ${srv}`,
      lost: `${p}lease lost, entering init state`,
      nak: `${p}received DHCP NAK`,
      release: (ip: string, srv: string) => `${p}sending release of ${ip} to ${srv}`,
      released: `${p}entering released state`,
    };
  }
  return {
    started: `udhcpc (v${r.busybox}) started`,
    discover: 'Sending discover...',
    select: (ip: string) => `Sending select for ${ip}...`,
    lease: (ip: string, t: number) => `Lease of ${ip} obtained, lease time ${t}`,
    noLease: 'No lease, failing',
    renew: (_srv: string) => 'Sending renew...',
    lost: 'Lease lost, entering init state',
    nak: 'Received DHCP NAK',
    release: (ip: string, srv: string) => `Unicasting a release of ${ip} to ${srv}`,
    released: 'Entering released state',
  };
}

/** What a request carries besides its type. */
export interface RequestFields {
  xid: number;
  /** The client's MAC, text and bytes. */
  chaddr: string;
  mac: Uint8Array;
  busybox: string;
  extraOptions: number[];
  hostname?: string;
  ciaddr?: number;
  requestedIp?: number;
  serverId?: number;
}

/** init_packet + add_client_options: a DISCOVER, REQUEST (select/renew) or RELEASE as udhcpc sends it. */
export function udhcpcPacket(type: number, f: RequestFields): Uint8Array {
  // udhcpc's default client id: type 1 (Ethernet) + MAC
  const o: DhcpOptions = {
    messageType: type,
    clientId: Uint8Array.of(1, ...f.mac),
    vendorClassId: `udhcp ${f.busybox}`,
    requestedIp: f.requestedIp,
    serverId: f.serverId,
  };
  if (type !== DHCPRELEASE) {
    o.maxMessageSize = MAX_SIZE;
    o.parameterRequestList = [...new Set([...DEFAULT_REQUESTED, ...f.extraOptions])].sort((a, b) => a - b);
    if (f.hostname) o.hostName = f.hostname;
  }
  const order = [
    OPT_MESSAGE_TYPE,
    61,
    OPT_VENDOR_CLASS,
    OPT_REQUESTED_IP,
    OPT_SERVER_ID,
    OPT_MAX_MESSAGE_SIZE,
  ];
  order.push(OPT_PARAMETER_LIST, 12);
  const repr: DhcpRepr = {
    op: BOOTREQUEST,
    hops: 0,
    xid: f.xid,
    secs: 0,
    broadcast: false,
    ciaddr: f.ciaddr ?? 0,
    yiaddr: 0,
    siaddr: 0,
    giaddr: 0,
    chaddr: f.chaddr,
    sname: '',
    file: '',
    options: o,
    optionOrder: order.filter((c) => c !== OPT_SERVER_ID || type === DHCPREQUEST || type === DHCPRELEASE),
    // udhcp_send_raw_packet pads the message to the BOOTP minimum of 300 bytes
    minLength: 300,
  };
  return buildDhcp(repr);
}

/** udhcp_send_raw_packet: Ethernet broadcast, IP from `src` to 255.255.255.255, TTL 64, UDP 68→67. */
export function rawBroadcastFrame(mac: Uint8Array, payload: Uint8Array, src: number): Uint8Array {
  const dst = 0xffffffff;
  const ulen = UDP_HEADER_LEN + payload.length;
  const frame = new Uint8Array(14 + 20 + ulen);
  frame.fill(0xff, 0, 6);
  frame.set(mac, 6);
  frame[12] = ETHERTYPE_IPV4 >> 8;
  frame[13] = ETHERTYPE_IPV4 & 0xff;
  emitIpv4(ipv4Repr({ src, dst, protocol: IP_PROTO_UDP, ttl: 64, dontFragment: false }, ulen), frame, 14);
  emitUdp({ srcPort: DHCP_CLIENT_PORT, dstPort: DHCP_SERVER_PORT, payload }, frame, 34, src, dst);
  return frame;
}

/** The DHCP message of a frame if it is UDP to port 68 (what udhcpc's socket filter passes). */
export function dhcpOfFrame(frame: Uint8Array): DhcpRepr | null {
  if (frame.length < 14 + 20 + 8 || frame[12] !== 0x08 || frame[13] !== 0x00) return null;
  if (frame[14 + 9] !== IP_PROTO_UDP) return null;
  if ((frame[14 + 6] & 0x3f) !== 0 || frame[14 + 7] !== 0) return null; // fragments: udhcpc drops them
  const l4 = 14 + ipv4HeaderLen(frame, 14);
  if (((frame[l4 + 2] << 8) | frame[l4 + 3]) !== DHCP_CLIENT_PORT) return null;
  const ulen = (frame[l4 + 4] << 8) | frame[l4 + 5];
  const r = parseDhcp(frame, l4 + 8, Math.min(ulen - 8, frame.length - l4 - 8));
  return r.ok ? r.value : null;
}

export function leaseFrom(ifname: string, repr: DhcpRepr): Lease {
  const o = repr.options;
  // busybox: a missing lease time means one hour; less than 10 s is raised to 10
  const lease = Math.max(10, o.leaseTime ?? 3600);
  return {
    interface: ifname,
    ip: repr.yiaddr,
    subnet: o.subnetMask,
    broadcast: o.broadcastAddress,
    router: o.routers ?? [],
    dns: o.dnsServers ?? [],
    domain: o.domainName,
    hostname: o.hostName,
    mtu: o.interfaceMtu,
    staticroutes: o.classlessRoutes ?? [],
    lease,
    serverid: o.serverId ?? 0,
  };
}
