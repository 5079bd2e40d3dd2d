// The Linux bridge (net/bridge): ports, FDB learning with a per-bridge ageing time, flooding of
// broadcast/multicast/unknown unicast, no STP. The bridge is itself a device of its namespace: it
// can carry an IP address and frames addressed to it go up the namespace's stack.
//
// br_netfilter: when `net.bridge.bridge-nf-call-iptables` is 1 in the bridge's namespace, bridged
// IPv4 frames traverse PREROUTING (once, physdev-in set), then FORWARD and POSTROUTING per egress
// port (physdev-in/out set). This is where Neutron's hybrid firewall filters traffic on qbr.

import { HOP } from '../sim/latency.js';
import { ETH_HEADER_LEN, ETHERTYPE_IPV4 } from '../wire/ethernet.js';
import { mac48ToString, readMac48 } from '../wire/mac.js';
import { type DeviceMaster, fitsMtu, NetDevice } from './device.js';
import { Fdb } from './fdb.js';
import type { Host } from './host.js';
import type { Namespace } from './netns.js';
import type { NfHook } from './nf-hooks.js';
import type { Trace } from './trace.js';

/** Default `ageing_time` of a new bridge: 300 s. */
export const DEFAULT_AGEING_NS = 300e9;

export interface BridgePort {
  /** Port number (`brctl showmacs`), lowest free from 1 as br_add_if assigns it. */
  no: number;
  dev: NetDevice;
}

function bridgeOutput(port: NetDevice, frame: Uint8Array, trace: Trace | null): void {
  port.transmit(frame, trace);
}

export class LinuxBridge extends NetDevice implements DeviceMaster {
  readonly kind = 'bridge' as const;
  readonly ports: BridgePort[] = [];
  readonly fdb: Fdb;
  readonly stpEnabled = false;
  /** True once `ip link set br address` fixed the MAC; else it follows the lowest port MAC. */
  private macFixed = false;
  /** Frames dropped because they exceeded an egress port's MTU. */
  mtuDrops = 0;

  constructor(host: Host, name: string, ns: Namespace, ageingNs = DEFAULT_AGEING_NS) {
    super(host, name, ns, new Uint8Array(6), 1500);
    this.fdb = new Fdb(ageingNs);
    // A bridge has carrier only while one of its ports is up with carrier (br_port_carrier_check).
    this.carrier = false;
  }

  portStateChanged(_port: NetDevice): void {
    this.updateCarrier();
  }

  private updateCarrier(): void {
    this.carrier = this.ports.some((p) => p.dev.adminUp && p.dev.carrier);
  }

  /** `brctl setageing` / `ip link set br type bridge ageing_time`, in seconds. */
  setAgeing(seconds: number): void {
    this.fdb.ageingTime = seconds * 1e9;
  }

  get ageingSeconds(): number {
    return this.fdb.ageingTime / 1e9;
  }

  /** `brctl show`'s bridge id: `8000.` + MAC without colons. */
  get bridgeId(): string {
    return `8000.${this.macString.replaceAll(':', '')}`;
  }

  override setMac(mac: Uint8Array): void {
    super.setMac(mac);
    this.macFixed = true;
  }

  /** `brctl addif` / `ip link set dev X master BR`. */
  addPort(dev: NetDevice): BridgePort {
    if (dev === this) throw new Error('cannot enslave a bridge to itself');
    if (dev.netns !== this.netns) throw new Error(`${dev.name} is not in the bridge's namespace`);
    if (dev.master !== null) throw new Error(`device ${dev.name} is already a member of a bridge`);
    if (dev.kind === 'loopback') throw new Error("can't add lo to a bridge");
    const used = new Set(this.ports.map((p) => p.no));
    let no = 1;
    while (used.has(no)) no++;
    const port = { no, dev };
    this.ports.push(port);
    dev.setMaster(this);
    this.fdb.addLocal(readMac48(dev.mac, 0), dev);
    this.recomputeMac();
    // A bridge's MTU follows its smallest port (br_mtu_auto).
    this.mtu = Math.min(...this.ports.map((p) => p.dev.mtu));
    this.updateCarrier();
    return port;
  }

  /** `brctl delif`. */
  removePort(dev: NetDevice): void {
    if (dev.master === this) dev.setMaster(null);
  }

  releasePort(dev: NetDevice): void {
    const i = this.ports.findIndex((p) => p.dev === dev);
    if (i < 0) return;
    this.ports.splice(i, 1);
    this.fdb.flushPort(dev);
    this.recomputeMac();
    this.updateCarrier();
  }

  /** `ip link del br`: ports are released first, as Linux's br_dev_delete does. */
  override destroy(): void {
    for (const p of [...this.ports]) p.dev.setMaster(null);
    super.destroy();
  }

  portOf(dev: NetDevice): BridgePort | undefined {
    return this.ports.find((p) => p.dev === dev);
  }

  private recomputeMac(): void {
    if (this.macFixed) return;
    // br_stp_recalculate_bridge_id: the numerically lowest port MAC.
    let best: Uint8Array | null = null;
    let bestKey = Number.POSITIVE_INFINITY;
    for (const p of this.ports) {
      const k = readMac48(p.dev.mac, 0);
      if (k < bestKey) {
        bestKey = k;
        best = p.dev.mac;
      }
    }
    this.mac = best === null ? new Uint8Array(6) : best.slice();
  }

  /** rx_handler: a frame received on one of the ports. */
  handleFrame(inPort: NetDevice, frame: Uint8Array, trace: Trace | null): void {
    if (!this.adminUp || frame.length < ETH_HEADER_LEN) {
      inPort.rxDropped++;
      if (trace !== null) this.traceStep(trace, 'drop', 'bridge is down');
      return;
    }
    const now = this.host.sched.now;
    const src = readMac48(frame, 6);
    if ((frame[6] & 1) === 0 && this.fdb.learn(src, inPort, now) && trace !== null) {
      this.traceStep(trace, 'fdb', `learned ${mac48ToString(src)} on ${inPort.name}`);
    }
    const bridgeNf = this.nfActive(frame);
    if (bridgeNf && this.nfHook('PREROUTING', frame, inPort, null, trace) === false) return;

    if ((frame[0] & 1) === 1) {
      if (
        frame[0] === 0x01 &&
        frame[1] === 0x80 &&
        frame[2] === 0xc2 &&
        frame[3] === 0 &&
        frame[4] === 0 &&
        frame[5] < 0x10
      ) {
        // 01:80:c2:00:00:0X (STP, LACP, LLDP …) is link-local: a bridge never forwards it (group_fwd_mask 0).
        if (trace !== null) this.traceStep(trace, 'fdb', 'IEEE link-local group address: not forwarded');
        this.passUp(frame, trace);
        return;
      }
      if (trace !== null)
        this.traceStep(trace, 'fdb', `flood ${frame[0] === 0xff ? 'broadcast' : 'multicast'}`);
      this.flood(inPort, frame, trace, bridgeNf);
      this.passUp(frame, trace);
      return;
    }
    const dst = readMac48(frame, 0);
    const entry = this.fdb.lookup(dst, now);
    if (entry === undefined) {
      if (trace !== null) this.traceStep(trace, 'fdb', `unknown ${mac48ToString(dst)}: flood`);
      this.flood(inPort, frame, trace, bridgeNf);
      if (this.promisc) this.passUp(frame, trace);
      return;
    }
    if (entry.local) {
      // Addressed to the bridge or to one of its ports' own MACs: goes up the bridge device.
      if (trace !== null) this.traceStep(trace, 'fdb', `local ${mac48ToString(dst)}: up the bridge`);
      this.passUp(frame, trace);
      return;
    }
    if (entry.port === inPort) {
      if (trace !== null) this.traceStep(trace, 'drop', `fdb ${mac48ToString(dst)} is on the ingress port`);
      return;
    }
    if (trace !== null) this.traceStep(trace, 'fdb', `fdb hit ${mac48ToString(dst)} -> ${entry.port.name}`);
    this.forward(inPort, entry.port, frame, trace, bridgeNf);
  }

  /** The bridge device transmitting (its own IP stack sending): br_dev_xmit. */
  protected xmit(frame: Uint8Array, trace: Trace | null): void {
    if ((frame[0] & 1) === 0) {
      const entry = this.fdb.lookup(readMac48(frame, 0), this.host.sched.now);
      if (entry !== undefined && !entry.local) {
        this.forward(null, entry.port, frame, trace, false);
        return;
      }
    }
    this.flood(null, frame, trace, false);
  }

  private flood(inPort: NetDevice | null, frame: Uint8Array, trace: Trace | null, bridgeNf: boolean): void {
    const ports = this.ports;
    for (let i = 0; i < ports.length; i++) {
      const dev = ports[i].dev;
      if (dev !== inPort) this.forward(inPort, dev, frame, trace, bridgeNf);
    }
  }

  private forward(
    inPort: NetDevice | null,
    out: NetDevice,
    frame: Uint8Array,
    trace: Trace | null,
    bridgeNf: boolean,
  ): void {
    if (!out.adminUp) return; // port disabled: not a forwarding candidate
    if (!fitsMtu(out, frame)) {
      // br_dev_queue_push_xmit: !is_skb_forwardable → dropped.
      this.mtuDrops++;
      out.txDropped++;
      if (trace !== null)
        this.traceStep(trace, 'drop', `frame of ${frame.length} bytes exceeds ${out.name} MTU ${out.mtu}`);
      return;
    }
    if (bridgeNf && inPort !== null) {
      if (this.nfHook('FORWARD', frame, inPort, out, trace) === false) return;
      if (this.nfHook('POSTROUTING', frame, inPort, out, trace) === false) return;
    }
    const h = this.host;
    h.sched.schedule(h.latency.fifoDelayOf(HOP.bridge, out, h.sched.now), bridgeOutput, out, frame, trace);
  }

  private passUp(frame: Uint8Array, trace: Trace | null): void {
    // br_pass_frame_up: counted as received on the bridge device, then the namespace stack.
    this.rxPackets++;
    this.rxBytes += frame.length;
    this.netns.receive(this, frame, trace);
  }

  private nfActive(frame: Uint8Array): boolean {
    return (
      this.netns.netfilter !== null &&
      this.netns.bridgeNfCallIptables &&
      frame.length >= ETH_HEADER_LEN + 20 &&
      ((frame[12] << 8) | frame[13]) === ETHERTYPE_IPV4
    );
  }

  /** Runs one br_netfilter hook; false when the frame is dropped. */
  private nfHook(
    hook: NfHook,
    frame: Uint8Array,
    physIn: NetDevice,
    physOut: NetDevice | null,
    trace: Trace | null,
  ): boolean {
    const pkt = this.netns.nfPacket;
    pkt.hook = hook;
    pkt.frame = frame;
    pkt.l3 = ETH_HEADER_LEN;
    pkt.inDev = this;
    pkt.outDev = physOut === null ? null : this;
    pkt.physIn = physIn;
    pkt.physOut = physOut;
    pkt.bridged = true;
    pkt.trace = trace;
    const nf = this.netns.netfilter!;
    const verdict = nf.run(pkt);
    if (trace !== null) {
      const why = nf.explain ? `: ${nf.explain()}` : '';
      const ports = `${physIn.name} -> ${physOut?.name ?? '?'}`;
      this.traceStep(trace, 'netfilter', `${hook} ${verdict} (bridged ${ports})${why}`);
    }
    return verdict === 'ACCEPT';
  }
}
