// The simple device kinds: loopback, dummy, veth pair, tap, and devices whose transmit belongs
// to another layer (OVS internal ports). Each differs only in where a transmitted frame goes.

import { type FifoQueue, HOP } from '../sim/latency.js';
import { fitsMtu, NetDevice } from './device.js';
import type { Host } from './host.js';
import type { Namespace } from './netns.js';
import type { Trace } from './trace.js';

/** Scheduler callback delivering a frame to a device (module-level: no closure per frame). */
export function deliverFrame(dev: NetDevice, frame: Uint8Array, trace: Trace | null): void {
  dev.receive(frame, trace);
}

/** `lo`: what is sent comes back in, after a loopback hop. */
export class Loopback extends NetDevice {
  readonly kind = 'loopback' as const;

  constructor(host: Host, ns: Namespace) {
    super(host, 'lo', ns, new Uint8Array(6), 65536);
  }

  protected xmit(frame: Uint8Array, trace: Trace | null): void {
    const h = this.host;
    h.sched.schedule(
      h.latency.fifoDelayOf(HOP.loopback, this, h.sched.now),
      deliverFrame,
      this,
      frame,
      trace,
    );
  }
}

/** `ip link add X type dummy`: swallows what it is given (counted as transmitted, as Linux does). */
export class Dummy extends NetDevice {
  readonly kind = 'dummy' as const;

  protected xmit(): void {}
}

/**
 * One end of a veth pair. A frame transmitted on one end is received by the peer after a veth hop.
 * Linux (veth_xmit): when the peer is down the frame is dropped and counted in the sender's TX
 * dropped; a frame longer than the peer's MTU is dropped likewise (`is_skb_forwardable`).
 * Carrier: an end has LOWER_UP only while its peer is up.
 */
export class Veth extends NetDevice {
  readonly kind = 'veth' as const;
  peer!: Veth;

  static pair(
    host: Host,
    a: [string, Namespace, Uint8Array],
    b: [string, Namespace, Uint8Array],
  ): [Veth, Veth] {
    const va = new Veth(host, a[0], a[1], a[2], 1500);
    const vb = new Veth(host, b[0], b[1], b[2], 1500);
    va.peer = vb;
    vb.peer = va;
    va.carrier = vb.carrier = false;
    return [va, vb];
  }

  /** `link-netnsid N` of `ip link` when the peer is in another namespace (allocated on first ask, as Linux does). */
  get linkNetnsId(): number | null {
    return this.peer.netns === this.netns ? null : this.netns.nsidOf(this.peer.netns);
  }

  protected override onAdminChange(): void {
    this.peer.setCarrier(this.adminUp);
    this.carrier = this.peer.adminUp;
  }

  protected xmit(frame: Uint8Array, trace: Trace | null): void {
    const peer = this.peer;
    if (!peer.adminUp || !fitsMtu(peer, frame)) {
      this.txDropped++;
      this.txPackets--;
      this.txBytes -= frame.length;
      if (trace !== null)
        this.traceStep(trace, 'drop', peer.adminUp ? `frame exceeds peer MTU ${peer.mtu}` : 'peer is down');
      return;
    }
    const h = this.host;
    h.sched.schedule(h.latency.fifoDelayOf(HOP.veth, peer, h.sched.now), deliverFrame, peer, frame, trace);
  }

  override destroy(): void {
    super.destroy();
    if (this.peer.netns.devices.get(this.peer.name) === this.peer) {
      this.peer.setMaster(null);
      this.peer.adminUp = false;
      this.peer.netns.detach(this.peer);
      this.host.forgetDevice(this.peer);
    }
  }
}

/** Guest side of a tap: receives what the host transmits on the tap. */
export type GuestReceiver = (frame: Uint8Array, trace: Trace | null) => void;

function deliverToGuest(tap: Tap, frame: Uint8Array, trace: Trace | null): void {
  if (tap.onTransmitToGuest !== null) tap.onTransmitToGuest(frame, trace);
}

/**
 * A tap device (`ip tuntap add mode tap`, or libvirt's `tapXXXX`): the host side of a guest NIC.
 * Without a guest attached it has NO-CARRIER and frames sent to it are dropped (Linux counts them
 * in TX dropped: tun_net_xmit with no reader).
 */
export class Tap extends NetDevice {
  readonly kind = 'tun' as const;
  /** The guest NIC: frames the host transmits on the tap arrive here, after a tap hop. */
  onTransmitToGuest: GuestReceiver | null = null;
  /** The virtio queue towards the guest (frames reach the guest in the order sent). */
  private readonly toGuest: FifoQueue = { fifoAt: 0 };

  constructor(host: Host, name: string, ns: Namespace, mac: Uint8Array) {
    super(host, name, ns, mac, 1500);
    this.carrier = false;
    this.qdisc = 'fq_codel';
  }

  /** A guest opens the tap (virtio backend attached): carrier comes up. */
  attachGuest(receiver: GuestReceiver): void {
    this.onTransmitToGuest = receiver;
    this.setCarrier(true);
  }

  detachGuest(): void {
    this.onTransmitToGuest = null;
    this.setCarrier(false);
  }

  /** The guest sends a frame: the host receives it on the tap after a tap hop. */
  injectFromGuest(frame: Uint8Array, trace: Trace | null): void {
    const h = this.host;
    h.sched.schedule(h.latency.fifoDelayOf(HOP.tap, this, h.sched.now), deliverFrame, this, frame, trace);
  }

  protected xmit(frame: Uint8Array, trace: Trace | null): void {
    if (this.onTransmitToGuest === null) {
      this.txDropped++;
      this.txPackets--;
      this.txBytes -= frame.length;
      if (trace !== null) this.traceStep(trace, 'drop', 'no guest attached to the tap');
      return;
    }
    const h = this.host;
    h.sched.schedule(
      h.latency.fifoDelayOf(HOP.tap, this.toGuest, h.sched.now),
      deliverToGuest,
      this,
      frame,
      trace,
    );
  }
}

/** Called with every frame the stack (or a master) transmits on an ExternalDevice. */
export type ExternalTransmit = (dev: ExternalDevice, frame: Uint8Array, trace: Trace | null) => void;

/**
 * A device whose transmit another layer handles: OVS internal ports (br-int, qr-/qg-, the DHCP
 * agent's tap) are `kind: 'openvswitch'`. The owner delivers frames towards the stack with
 * `receive(frame, trace)`. Transmit is synchronous; the owner schedules its own hop delay.
 */
export class ExternalDevice extends NetDevice {
  constructor(
    host: Host,
    name: string,
    ns: Namespace,
    mac: Uint8Array,
    mtu: number,
    readonly kind: 'openvswitch' | 'dummy',
    public onTransmit: ExternalTransmit,
  ) {
    super(host, name, ns, mac, mtu);
  }

  protected xmit(frame: Uint8Array, trace: Trace | null): void {
    this.onTransmit(this, frame, trace);
  }
}
