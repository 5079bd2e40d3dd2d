// The guest kernel's ioctl view of IPv4 configuration, as busybox `ifconfig` and `route` use it
// (SIOCSIFADDR, SIOCSIFNETMASK, SIOCSIFBRDADDR, SIOCADDRT, SIOCDELRT), over the kernel layer's
// namespace. The semantics copied are Linux's devinet_ioctl and ip_rt_ioctl: a new address gets
// its classful mask (inet_abc_len) and broadcast, a netmask change recomputes a broadcast that
// matched the old mask, a gateway must be on-link.

import type { NetDevice } from '../kernel/device.js';
import type { Namespace } from '../kernel/netns.js';
import { ipToString, prefixMask } from '../wire/ipv4-address.js';

/** inet_abc_len: the classful prefix length of an address (0 for 0.0.0.0, -1 for class D/E). */
export function classfulPrefix(addr: number): number {
  if (addr === 0) return 0;
  const a = addr >>> 24;
  if (a < 128) return 8;
  if (a < 192) return 16;
  if (a < 224) return 24;
  return -1;
}

/** The device's primary IPv4 address (the one `ifconfig` shows), or null. */
export function primaryAddress(dev: NetDevice) {
  return dev.addresses.find((a) => !a.secondary && a.label === dev.name) ?? null;
}

function cidr(addr: number, prefixLen: number): string {
  return `${ipToString(addr)}/${prefixLen}`;
}

/**
 * Removes an address as inet_del_ifa does (the kernel's Namespace.removeAddress): when it was the
 * device's last IPv4 address, every route through the device goes — which is why
 * `ifconfig eth0 NEWADDR` on Linux loses the default route.
 */
export function dropAddress(ns: Namespace, dev: NetDevice, addr: number, prefixLen: number): boolean {
  return ns.removeAddress(dev, cidr(addr, prefixLen));
}

/**
 * SIOCSIFADDR: replaces the primary address; 0.0.0.0 removes it. Returns an errno text or null.
 * The device is brought up too, as busybox ifconfig does when given an address.
 */
export function setIfAddress(ns: Namespace, dev: NetDevice, addr: number): string | null {
  const old = primaryAddress(dev);
  if (addr !== 0 && classfulPrefix(addr) < 0) return 'Invalid argument';
  if (old !== null) {
    if (old.address === addr) {
      dev.setUp(true);
      return null;
    }
    dropAddress(ns, dev, old.address, old.prefixLen);
  }
  if (!dev.adminUp) dev.setUp(true);
  if (addr === 0) return null;
  const plen = classfulPrefix(addr);
  ns.addAddress(dev, cidr(addr, plen), { broadcast: (addr | ~prefixMask(plen)) >>> 0 });
  return null;
}

/** SIOCSIFNETMASK: changes the primary address's mask; a broadcast that matched the old mask follows. */
export function setIfNetmask(ns: Namespace, dev: NetDevice, mask: number): string | null {
  const old = primaryAddress(dev);
  if (old === null) return 'Cannot assign requested address';
  const plen = Math.clz32(~mask);
  if (prefixMask(plen) !== mask >>> 0) return 'Invalid argument';
  if (plen === old.prefixLen) return null;
  const oldBcast = (old.address | ~prefixMask(old.prefixLen)) >>> 0;
  const broadcast = old.broadcast === oldBcast && plen < 31 ? (old.address | ~mask) >>> 0 : old.broadcast;
  dropAddress(ns, dev, old.address, old.prefixLen);
  ns.addAddress(dev, cidr(old.address, plen), { broadcast });
  return null;
}

/** SIOCSIFBRDADDR. */
export function setIfBroadcast(dev: NetDevice, bcast: number): string | null {
  const old = primaryAddress(dev);
  if (old === null) return 'Cannot assign requested address';
  old.broadcast = bcast;
  // the namespace's broadcast set is rebuilt on the next state change; keep it exact now
  dev.netns.deviceStateChanged(dev);
  return null;
}

export interface RouteArgs {
  dst: number;
  prefixLen: number;
  gw: number;
  dev: NetDevice | null;
  metric: number;
}

/** SIOCADDRT. Returns the errno text busybox prints after `route: SIOCADDRT: `, or null. */
export function addRoute(ns: Namespace, r: RouteArgs): string | null {
  let dev = r.dev;
  if (r.gw !== 0) {
    // fib_check_nh: the gateway must be reachable through a link-scope (connected) route
    const via = ns.routes.routes.find(
      (x) =>
        x.via === 0 && (r.gw & x.mask) >>> 0 === x.dst && x.dev.adminUp && (dev === null || x.dev === dev),
    );
    if (via === undefined) return 'Network is unreachable';
    dev ??= via.dev;
  }
  if (dev === null) return 'No such device';
  const mask = prefixMask(r.prefixLen);
  if ((r.dst & mask) >>> 0 !== r.dst) return 'Invalid argument';
  try {
    ns.addRoute({
      dst: { network: r.dst, prefixLen: r.prefixLen },
      via: r.gw,
      dev,
      metric: r.metric,
      scope: r.gw === 0 ? 'link' : 'global',
    });
  } catch {
    return 'File exists';
  }
  return null;
}

/** SIOCDELRT: removes the first matching route (a 0 gateway or null device matches any). */
export function delRoute(ns: Namespace, r: RouteArgs): string | null {
  const routes = ns.routes.routes;
  const i = routes.findIndex(
    (x) =>
      x.dst === r.dst &&
      x.prefixLen === r.prefixLen &&
      (r.gw === 0 || x.via === r.gw) &&
      (r.dev === null || x.dev === r.dev) &&
      (r.metric === 0 || x.metric === r.metric),
  );
  if (i < 0) return 'No such process';
  routes.splice(i, 1);
  return null;
}
