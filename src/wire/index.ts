// Packet codecs: zero-copy accessors over Uint8Array, a parsed Repr per protocol, emit/build to write it back.
export * from './arp.js';
export * from './byte-order.js';
export * from './checksum.js';
export * from './dhcp.js';
export * from './ethernet.js';
export * from './frame-alloc.js';
export * from './icmp.js';
export * from './ipv4.js';
export * from './ipv4-address.js';
export * from './ipv4-fragment.js';
export * from './mac.js';
export * from './pcap.js';
export * from './result.js';
export * from './tcp.js';
export * from './udp.js';
export * from './vlan.js';
export * from './vxlan.js';
