// busybox udhcpc: the DHCP client CirrOS runs on eth0 (via /sbin/cirros-dhcpc: `udhcpc -p
// /var/run/udhcpc.eth0.pid -R -n -T 60 -i eth0 -s /sbin/cirros-dhcpc -O mtu -O staticroutes -x
// hostname:cirros`). The state machine, timers and messages follow busybox 1.20.1's
// networking/udhcp/dhcpc.c (1.29's message style for CirrOS 0.5):
//   INIT_SELECTING  DISCOVER every -T seconds, -t times (3), then the script's `leasefail` and,
//                   with -n, "No lease, failing" (exit 1); else wait -A (20 s) and start over.
//   REQUESTING      on an OFFER (with a server id): REQUEST (select) for yiaddr, same retries, back
//                   to INIT_SELECTING when unanswered.
//   BOUND           on ACK: "Lease of X obtained, lease time N", script `bound`; T1 = lease/2
//                   (busybox ignores option 58), then the daemon goes to the background.
//   RENEWING        unicast REQUEST from ciaddr to the server through a kernel UDP socket, timeout
//                   halving while > 60 s; then REBINDING (broadcast) until the lease runs out, then
//                   "Lease lost, entering init state" and `deconfig`.
// Until BOUND it listens on a raw packet socket (replies may be unicast to an address the interface
// does not have yet), and sends raw broadcast frames from 0.0.0.0 — as udhcpc does.

import type { NetDevice } from '../kernel/device.js';
import type { UdpSocket } from '../kernel/sockets.js';
import type { TimerHandle } from '../sim/scheduler.js';
import {
  BOOTREPLY,
  DHCP_CLIENT_PORT,
  DHCP_SERVER_PORT,
  DHCPACK,
  DHCPDISCOVER,
  DHCPNAK,
  DHCPOFFER,
  DHCPRELEASE,
  DHCPREQUEST,
  type DhcpRepr,
  parseDhcp,
} from '../wire/dhcp.js';
import { ipToString } from '../wire/ipv4-address.js';
import { macToString } from '../wire/mac.js';
import {
  dhcpOfFrame,
  type Lease,
  leaseFrom,
  type RequestFields,
  rawBroadcastFrame,
  udhcpcMessages,
  udhcpcPacket,
} from './dhcp-packets.js';
import type { GuestOs } from './os.js';

export type { Lease };

const S = 1e9;

export type ScriptEvent = 'deconfig' | 'bound' | 'renew' | 'leasefail' | 'nak';

export interface UdhcpcOptions {
  os: GuestOs;
  dev: NetDevice;
  /** -T: seconds between DISCOVERs/REQUESTs (busybox default 3; CirrOS passes 60). */
  timeout: number;
  /** -t: DISCOVERs before giving up (default 3). */
  retries: number;
  /** -A: seconds to wait after a failure before trying again (default 20). */
  tryagain: number;
  /** -n: exit when no lease was obtained. */
  exitOnFail: boolean;
  /** -q: exit once a lease is obtained. */
  quitOnLease: boolean;
  /** -R: release the lease on exit. */
  releaseOnExit: boolean;
  /** -O: options requested besides busybox's defaults (26 mtu, 121 staticroutes). */
  extraOptions: number[];
  /** -x hostname:NAME */
  hostname?: string;
  /** Messages (busybox writes them to stderr). */
  print(line: string): void;
  /** The -s script, run synchronously for each event. */
  script(event: ScriptEvent, lease: Lease | null): void;
  /** The foreground part ended: exit code (0 once bound and backgrounded, 1 for -n failures). */
  onForegroundExit(code: number): void;
}

type State = 'init' | 'requesting' | 'bound' | 'renewing' | 'rebinding' | 'released' | 'dead';

export class Udhcpc {
  state: State = 'init';
  /** The lease in force (after BOUND). */
  lease: Lease | null = null;
  private xid = 0;
  private packetNum = 0;
  private requested = 0;
  private server = 0;
  /** Seconds of the current wait (busybox's `timeout`: T1 wait, then halved while renewing). */
  private wait = 0;
  private timer: TimerHandle | null = null;
  private rawOff: (() => void) | null = null;
  private kernelSock: UdpSocket | null = null;
  private foreground = true;
  private readonly msg: ReturnType<typeof udhcpcMessages>;
  private readonly mac: string;

  constructor(private readonly o: UdhcpcOptions) {
    this.msg = udhcpcMessages(o.os.release);
    this.mac = macToString(o.dev.mac);
  }

  /** Starts the client: banner, `deconfig`, then the first DISCOVER. */
  start(): void {
    this.o.print(this.msg.started);
    this.o.script('deconfig', null);
    this.listenRaw();
    this.enterInit(0);
  }

  /** SIGTERM / power-off: with -R a bound lease is released first. */
  stop(): void {
    if (this.state === 'dead') return;
    if (this.o.releaseOnExit && this.lease !== null && this.o.os.alive) this.release();
    this.kill();
  }

  /** Ends the client without a word (the guest lost power). */
  kill(): void {
    this.state = 'dead';
    this.clearTimer();
    this.listenNone();
    if (this.o.os.dhcp.get(this.o.dev.name) === this) this.o.os.dhcp.delete(this.o.dev.name);
  }

  /** SIGUSR1: renew now (what `kill -USR1` on the pid file does). */
  renewNow(): void {
    if (this.state !== 'bound') return;
    this.clearTimer();
    this.enterRenewing();
  }

  // ── states ────────────────────────────────────────────────────────────────

  private enterInit(delaySeconds: number): void {
    this.state = 'init';
    this.packetNum = 0;
    this.after(delaySeconds, () => this.initTick());
  }

  private initTick(): void {
    if (this.packetNum < this.o.retries) {
      if (this.packetNum === 0) this.xid = this.o.os.sched.rng.u32();
      this.sendDiscover();
      this.packetNum++;
      this.after(this.o.timeout, () => this.initTick());
      return;
    }
    this.o.script('leasefail', null);
    if (this.o.exitOnFail) {
      this.o.print(this.msg.noLease);
      this.kill();
      this.o.onForegroundExit(1);
      return;
    }
    this.packetNum = 0;
    this.after(this.o.tryagain, () => this.initTick());
  }

  private requestTick(): void {
    if (this.packetNum < this.o.retries) {
      this.sendSelect();
      this.packetNum++;
      this.after(this.o.timeout, () => this.requestTick());
      return;
    }
    this.enterInit(0);
  }

  private enterRenewing(): void {
    this.state = 'renewing';
    this.listenKernel();
    this.renewTick();
  }

  private renewTick(): void {
    if (this.state === 'renewing' && this.wait > 60) {
      this.sendRenew(this.server);
      this.wait = Math.floor(this.wait / 2);
      this.after(this.wait, () => this.renewTick());
      return;
    }
    if (this.state === 'renewing') {
      this.state = 'rebinding';
      this.listenRaw();
    }
    if (this.wait > 0) {
      this.sendRenew(0);
      this.wait = Math.floor(this.wait / 2);
      this.after(this.wait, () => this.renewTick());
      return;
    }
    this.o.print(this.msg.lost);
    this.lease = null;
    this.o.script('deconfig', null);
    this.enterInit(0);
  }

  // ── receiving ─────────────────────────────────────────────────────────────

  private onReply(repr: DhcpRepr): void {
    if (repr.op !== BOOTREPLY || repr.xid !== this.xid || repr.chaddr !== this.mac) return;
    const type = repr.options.messageType;
    if (this.state === 'init' && type === DHCPOFFER) {
      if (repr.options.serverId === undefined) {
        this.o.print('udhcpc: no server ID, ignoring packet');
        return;
      }
      this.server = repr.options.serverId;
      this.requested = repr.yiaddr;
      this.state = 'requesting';
      this.packetNum = 0;
      this.clearTimer();
      this.requestTick();
      return;
    }
    if (this.state !== 'requesting' && this.state !== 'renewing' && this.state !== 'rebinding') return;
    if (type === DHCPACK) {
      this.clearTimer();
      const lease = leaseFrom(this.o.dev.name, repr);
      const firstBind = this.state === 'requesting';
      this.o.print(this.msg.lease(ipToString(lease.ip), lease.lease));
      this.requested = lease.ip;
      if (lease.serverid !== 0) this.server = lease.serverid;
      this.lease = lease;
      this.o.script(firstBind ? 'bound' : 'renew', lease);
      this.state = 'bound';
      this.wait = Math.floor(lease.lease / 2);
      this.listenNone();
      if (this.o.quitOnLease) {
        this.kill();
        this.o.onForegroundExit(0);
        return;
      }
      this.after(this.wait, () => this.enterRenewing());
      if (this.foreground) {
        this.foreground = false;
        this.o.onForegroundExit(0);
      }
      return;
    }
    if (type === DHCPNAK) {
      this.clearTimer();
      this.o.print(this.msg.nak);
      this.o.script('nak', null);
      if (this.state !== 'requesting') this.o.script('deconfig', null);
      this.lease = null;
      this.requested = 0;
      this.listenRaw();
      this.enterInit(3);
    }
  }

  private listenRaw(): void {
    this.listenNone();
    this.rawOff = this.o.dev.capture((_t, frame, dir) => {
      if (dir !== 'rx' || this.state === 'dead') return;
      const repr = dhcpOfFrame(frame);
      // udhcpc is a process woken by its packet socket: it acts after the kernel has finished
      // with the frame (else the ACK would also reach the IP layer after the address was set,
      // and be answered with port unreachable)
      if (repr !== null) this.o.os.after(0, () => this.state !== 'dead' && this.onReply(repr));
    });
  }

  private listenKernel(): void {
    this.listenNone();
    try {
      this.kernelSock = this.o.os.ns.bindUdp(
        0,
        DHCP_CLIENT_PORT,
        (d) => {
          const r = parseDhcp(d.payload, 0);
          if (r.ok) this.onReply(r.value);
        },
        { dev: this.o.dev },
      );
    } catch {
      this.kernelSock = null;
    }
  }

  private listenNone(): void {
    this.rawOff?.();
    this.rawOff = null;
    this.kernelSock?.close();
    this.kernelSock = null;
  }

  // ── sending ───────────────────────────────────────────────────────────────

  private fields(extra: Partial<RequestFields> = {}): RequestFields {
    return {
      xid: this.xid,
      chaddr: this.mac,
      mac: this.o.dev.mac,
      busybox: this.o.os.release.busybox,
      extraOptions: this.o.extraOptions,
      hostname: this.o.hostname,
      ...extra,
    };
  }

  private sendDiscover(): void {
    this.o.print(this.msg.discover);
    const f = this.fields({ requestedIp: this.requested !== 0 ? this.requested : undefined });
    this.sendRaw(udhcpcPacket(DHCPDISCOVER, f), 0);
  }

  private sendSelect(): void {
    this.o.print(this.msg.select(ipToString(this.requested)));
    this.sendRaw(
      udhcpcPacket(DHCPREQUEST, this.fields({ requestedIp: this.requested, serverId: this.server })),
      0,
    );
  }

  private sendRenew(server: number): void {
    this.o.print(this.msg.renew(ipToString(this.server)));
    const payload = udhcpcPacket(DHCPREQUEST, this.fields({ ciaddr: this.requested }));
    if (server !== 0 && this.kernelSock !== null) {
      this.kernelSock.send(server, DHCP_SERVER_PORT, payload, { src: this.requested });
    } else {
      this.sendRaw(payload, this.requested);
    }
  }

  private release(): void {
    this.o.print(this.msg.release(ipToString(this.requested), ipToString(this.server)));
    const payload = udhcpcPacket(DHCPRELEASE, this.fields({ ciaddr: this.requested, serverId: this.server }));
    try {
      const s = this.o.os.ns.bindUdp(0, DHCP_CLIENT_PORT, () => {}, { dev: this.o.dev });
      s.send(this.server, DHCP_SERVER_PORT, payload, { src: this.requested });
      s.close();
    } catch {
      // the port is held by another client: nothing is sent
    }
    this.o.print(this.msg.released);
    this.o.script('deconfig', null);
    this.lease = null;
    this.state = 'released';
  }

  private sendRaw(payload: Uint8Array, src: number): void {
    this.o.dev.transmit(rawBroadcastFrame(this.o.dev.mac, payload, src), null);
  }

  // ── timers ────────────────────────────────────────────────────────────────

  private after(seconds: number, fn: () => void): void {
    this.clearTimer();
    this.timer = this.o.os.after(seconds * S, () => {
      this.timer = null;
      if (this.state !== 'dead') fn();
    });
  }

  private clearTimer(): void {
    if (this.timer !== null) this.o.os.cancel(this.timer);
    this.timer = null;
  }
}
