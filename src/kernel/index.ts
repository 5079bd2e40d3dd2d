export { DEFAULT_AGEING_NS, LinuxBridge } from './bridge.js';
export {
  type CaptureFn,
  checkDeviceName,
  type DeviceKind,
  type DeviceMaster,
  type Direction,
  IFNAMSIZ,
  type IfAddress,
  NetDevice,
} from './device.js';
export { Fdb, type FdbEntry } from './fdb.js';
export { type DeviceOptions, Host } from './host.js';
export { Ipv4Stack, type OutputResult, type RouteResult } from './ipv4.js';
export {
  Dummy,
  deliverFrame,
  ExternalDevice,
  type ExternalTransmit,
  type GuestReceiver,
  Loopback,
  Tap,
  Veth,
} from './links.js';
export { NeighEntry, type NeighState, NeighTable } from './neigh.js';
export { type IpStats, Namespace } from './netns.js';
export type { NetfilterHooks, NfHook, NfPacket, NfVerdict } from './nf-hooks.js';
export {
  describeRoute,
  makeRoute,
  type Route,
  type RouteProto,
  type RouteSpec,
  RouteTable,
} from './routes.js';
export {
  type PingEvent,
  type PingHandler,
  type PingSendOptions,
  PingSocket,
  type UdpDatagram,
  type UdpErrorHandler,
  type UdpHandler,
  type UdpRawHandler,
  type UdpSendOptions,
  UdpSocket,
} from './sockets.js';
export { attachNamespaceAsGuest } from './tap-guest.js';
export { Trace, type TraceAction, type TraceStep } from './trace.js';
export { Nic, UnderlaySegment } from './underlay.js';
export {
  VxlanDevice,
  VxlanPort,
  type VxlanReceiver,
  type VxlanSendOptions,
  vxlanPortOf,
  vxlanSend,
} from './vxlan.js';
