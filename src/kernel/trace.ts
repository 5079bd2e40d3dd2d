// Packet tracing: when a frame is marked for tracing, every device and stack it crosses appends a
// step saying what it did and why (FDB entry, route, neighbour, netfilter verdict, flow in which
// table, encap/decap). The trace travels beside the frame as an explicit `trace` argument that is
// `null` for ordinary frames, so tracing costs one null check per hop when it is off.
//
// Frames a traced frame causes (an echo reply, an ICMP error, a frame released from the ARP
// queue, the VXLAN-encapsulated copy) carry the same trace, so one record shows the whole story.

/** What a step did. Other layers (OVS flows, guests) use the same record with their own actions. */
export type TraceAction =
  | 'rx' // a device received the frame
  | 'tx' // a device transmitted the frame
  | 'drop' // the frame ended here; `why` says why
  | 'fdb' // a bridge's forwarding decision (hit, flood, learned)
  | 'route' // a routing decision
  | 'neigh' // neighbour (ARP) resolution
  | 'netfilter' // an iptables hook verdict
  | 'deliver' // local delivery to a socket or responder
  | 'reply' // the stack answered (echo reply, ARP reply)
  | 'icmp-error' // the stack sent an ICMP error about the frame
  | 'fragment' // split or reassembled
  | 'flow' // an OpenFlow table lookup / action (OVS layer)
  | 'encap' // tunnel encapsulation
  | 'decap' // tunnel decapsulation
  | 'guest'; // inside a guest

export interface TraceStep {
  /** Virtual time (ns). */
  time: number;
  /** Host name. */
  host: string;
  /** Namespace name ('' for the root namespace), or the bridge/guest name for non-namespace layers. */
  netns: string;
  /** Device (or bridge / table) that acted. */
  dev: string;
  action: TraceAction;
  /** Human-readable reason, e.g. 'fdb hit fa:16:3e:2b:7c:11 port 2' or 'route 10.0.0.0/24 dev qr-x'. */
  why: string;
  /** Structured details for tools (table, priority, cookie, rule text, VNI ...). */
  detail?: Record<string, string | number | boolean>;
}

/** One traced frame's record. Create one and pass it where a `trace` argument is taken. */
export class Trace {
  private static nextId = 1;
  readonly id = Trace.nextId++;
  readonly steps: TraceStep[] = [];

  constructor(readonly label = '') {}

  add(
    time: number,
    host: string,
    netns: string,
    dev: string,
    action: TraceAction,
    why: string,
    detail?: Record<string, string | number | boolean>,
  ): void {
    const step: TraceStep = { time, host, netns, dev, action, why };
    if (detail !== undefined) step.detail = detail;
    this.steps.push(step);
  }

  /** One line per step, for tests and debugging: `t=12.345us host/ns dev action: why`. */
  format(): string {
    return this.steps
      .map(
        (s) => `t=${(s.time / 1000).toFixed(3)}us ${s.host}/${s.netns || '-'} ${s.dev} ${s.action}: ${s.why}`,
      )
      .join('\n');
  }
}
