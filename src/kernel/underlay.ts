// The physical network between hosts: a shared L2 segment (one switch, e.g. the data network
// 192.168.136.0/24) joining the hosts' NICs, with its own latency. It switches by destination MAC
// (every NIC's MAC is known, as a switch would have learned it) and floods broadcast, multicast
// and unknown unicast to every other NIC.

import { HOP } from '../sim/latency.js';
import { readMac48 } from '../wire/mac.js';
import { NetDevice } from './device.js';
import type { Host } from './host.js';
import { deliverFrame } from './links.js';
import type { Namespace } from './netns.js';
import type { Trace } from './trace.js';

export class UnderlaySegment {
  private readonly nics = new Map<number, Nic>();
  private readonly all: Nic[] = [];
  /** Frames carried (each delivery to one NIC counts once). */
  framesCarried = 0;

  constructor(
    readonly name: string,
    /** Informational: the subnet the operator uses on it, e.g. '192.168.136.0/24'. */
    readonly cidr = '',
  ) {}

  get members(): readonly Nic[] {
    return this.all;
  }

  plug(nic: Nic): void {
    this.all.push(nic);
    this.nics.set(readMac48(nic.mac, 0), nic);
  }

  unplug(nic: Nic): void {
    const i = this.all.indexOf(nic);
    if (i >= 0) this.all.splice(i, 1);
    this.nics.delete(readMac48(nic.mac, 0));
  }

  /** Refreshes the MAC index after a NIC's address changed. */
  remap(nic: Nic, oldMac: Uint8Array): void {
    this.nics.delete(readMac48(oldMac, 0));
    this.nics.set(readMac48(nic.mac, 0), nic);
  }

  carry(from: Nic, frame: Uint8Array, trace: Trace | null): void {
    if ((frame[0] & 1) === 0) {
      const to = this.nics.get(readMac48(frame, 0));
      if (to !== undefined) {
        if (to !== from) this.send(to, frame, trace);
        return;
      }
    }
    for (let i = 0; i < this.all.length; i++) if (this.all[i] !== from) this.send(this.all[i], frame, trace);
  }

  private send(to: Nic, frame: Uint8Array, trace: Trace | null): void {
    this.framesCarried++;
    const host = to.host;
    host.sched.schedule(
      host.latency.fifoDelayOf(HOP.underlay, to, host.sched.now),
      deliverFrame,
      to,
      frame,
      trace,
    );
  }
}

/** A physical NIC (eth0, eth1 ...) plugged into an underlay segment. */
export class Nic extends NetDevice {
  readonly kind = 'physical' as const;
  segment: UnderlaySegment | null = null;

  constructor(host: Host, name: string, ns: Namespace, mac: Uint8Array) {
    super(host, name, ns, mac, 1500);
    this.qdisc = 'fq_codel';
  }

  plug(segment: UnderlaySegment): void {
    if (this.segment !== null) this.segment.unplug(this);
    this.segment = segment;
    segment.plug(this);
    this.carrier = true;
  }

  override setMac(mac: Uint8Array): void {
    const old = this.mac;
    super.setMac(mac);
    this.segment?.remap(this, old);
  }

  protected xmit(frame: Uint8Array, trace: Trace | null): void {
    if (this.segment === null) {
      this.txErrors++;
      return;
    }
    this.segment.carry(this, frame, trace);
  }
}
