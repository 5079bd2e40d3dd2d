// A namespace's main routing table (`ip route`): connected routes from addresses (proto kernel,
// scope link, src = the address), static and default routes, longest-prefix match. The local
// table (addresses of the namespace) is checked by the stack before this one.

import { cidrToString, ipToString, parseCidr, prefixMask } from '../wire/ipv4-address.js';
import type { NetDevice } from './device.js';

export type RouteProto = 'kernel' | 'static' | 'boot' | 'dhcp';

export interface Route {
  /** Destination network (host bits clear). */
  dst: number;
  prefixLen: number;
  mask: number;
  /** Gateway, 0 for directly connected destinations. */
  via: number;
  dev: NetDevice;
  proto: RouteProto;
  scope: 'link' | 'global' | 'host';
  /** Preferred source address, 0 when none was given. */
  src: number;
  metric: number;
}

export interface RouteSpec {
  /** '10.0.0.0/24', 'default' or a bare address (/32). */
  dst: string | { network: number; prefixLen: number };
  via?: number;
  dev: NetDevice;
  proto?: RouteProto;
  scope?: 'link' | 'global' | 'host';
  src?: number;
  metric?: number;
}

export class RouteTable {
  /** Sorted: longest prefix first, then lowest metric, then insertion order. */
  readonly routes: Route[] = [];

  /** `ip route add`; throws 'File exists' as iproute2 reports a duplicate. */
  add(r: Route): Route {
    if (this.routes.some((x) => x.dst === r.dst && x.prefixLen === r.prefixLen && x.metric === r.metric)) {
      throw new Error('RTNETLINK answers: File exists');
    }
    let i = 0;
    while (
      i < this.routes.length &&
      (this.routes[i].prefixLen > r.prefixLen ||
        (this.routes[i].prefixLen === r.prefixLen && this.routes[i].metric <= r.metric))
    )
      i++;
    this.routes.splice(i, 0, r);
    return r;
  }

  /** `ip route del`; false when no such route. */
  remove(dst: number, prefixLen: number, dev?: NetDevice): boolean {
    const i = this.routes.findIndex(
      (x) => x.dst === dst && x.prefixLen === prefixLen && (!dev || x.dev === dev),
    );
    if (i < 0) return false;
    this.routes.splice(i, 1);
    return true;
  }

  /** Removes routes matching a predicate (device down, address removed). */
  removeWhere(pred: (r: Route) => boolean): void {
    for (let i = this.routes.length - 1; i >= 0; i--) if (pred(this.routes[i])) this.routes.splice(i, 1);
  }

  /** Longest-prefix match over routes whose device is up. */
  lookup(dst: number): Route | null {
    const routes = this.routes;
    for (let i = 0; i < routes.length; i++) {
      const r = routes[i];
      if ((dst & r.mask) >>> 0 === r.dst && r.dev.adminUp) return r;
    }
    return null;
  }
}

/** A route from its spec (parses the destination). */
export function makeRoute(spec: RouteSpec): Route {
  let network: number;
  let prefixLen: number;
  if (typeof spec.dst === 'string') {
    if (spec.dst === 'default') {
      network = 0;
      prefixLen = 0;
    } else {
      const c = parseCidr(spec.dst);
      if (c === null) throw new Error(`Error: any valid prefix is expected rather than "${spec.dst}".`);
      network = c.address;
      prefixLen = c.prefixLen;
    }
  } else {
    network = spec.dst.network;
    prefixLen = spec.dst.prefixLen;
  }
  const mask = prefixMask(prefixLen);
  if ((network & mask) >>> 0 !== network)
    throw new Error(`Error: Invalid prefix for given prefix length (${spec.dst}).`);
  const via = spec.via ?? 0;
  return {
    dst: network,
    prefixLen,
    mask,
    via,
    dev: spec.dev,
    // iproute2's `ip route add` default is RTPROT_BOOT; Neutron's ip_lib passes `proto static`.
    proto: spec.proto ?? 'boot',
    scope: spec.scope ?? (via === 0 ? 'link' : 'global'),
    src: spec.src ?? 0,
    metric: spec.metric ?? 0,
  };
}

/** The `ip route` line for a route, without the trailing space iproute2 6.x prints. */
export function describeRoute(r: Route): string {
  const dst =
    r.prefixLen === 0
      ? 'default'
      : cidrToString({ network: r.dst, prefixLen: r.prefixLen, mask: r.mask, address: r.dst });
  let s = dst;
  if (r.via !== 0) s += ` via ${ipToString(r.via)}`;
  s += ` dev ${r.dev.name} proto ${r.proto}`;
  if (r.scope !== 'global') s += ` scope ${r.scope}`;
  if (r.src !== 0) s += ` src ${ipToString(r.src)}`;
  if (r.metric !== 0) s += ` metric ${r.metric}`;
  return s;
}
