// `ovs-ofctl` against a host's switch: the flow-mod commands agents use to install Neutron's
// flows by their text form (add-flow, add-flows, mod-flows, del-flows with --strict and
// cookie/mask) and the readers an operator uses (dump-flows, dump-ports, show). Output follows
// OVS 3.1 / 2.17: to a pipe, the OpenFlow 1.0 + Nicira reply with its header line, port numbers
// and idle_age; to a terminal (`tty`), no header, port names, no idle_age (host-tools.md §3).

import type { Datapath } from './datapath.js';
import { formatFlowLine } from './flow-format.js';
import { type FlowMod, type FlowModCommand, parseFlow } from './flow-parse.js';
import { Flow } from './flow-table.js';
import { formatPort, OFPP_LOCAL, type PortNames } from './ports.js';
import type { CommandResult } from './vsctl.js';
import type { Vswitchd } from './vswitchd.js';

export class OfctlError extends Error {}

export interface DumpFlowsOptions {
  /** Output goes to a terminal: port names by default (hence no header and no idle_age). */
  tty?: boolean;
  /** --names / --no-names override the tty default. */
  names?: boolean;
  noStats?: boolean;
  strict?: boolean;
  /** --sort / --rsort: by priority ascending / descending. */
  sort?: 'asc' | 'desc';
  /** `-O OpenFlow13`. */
  of13?: boolean;
}

/** Applies one parsed flow-mod to a bridge; returns how many flows it touched. */
export function applyFlowMod(dp: Datapath, fm: FlowMod): number {
  const now = dp.now();
  const sel = {
    table: fm.table,
    match: fm.match,
    priority: fm.priority,
    strict: fm.command === 'modify_strict' || fm.command === 'delete_strict',
    cookie: fm.cookie,
    cookieMask: fm.cookieMask,
    outPort: fm.outPort,
  };
  switch (fm.command) {
    case 'add': {
      const f = new Flow(
        fm.table ?? 0,
        fm.priority,
        fm.cookie,
        fm.match,
        fm.actions!,
        fm.idleTimeout,
        fm.hardTimeout,
        now,
        {
          sendFlowRem: fm.sendFlowRem,
        },
      );
      dp.tables.add(f);
      return 1;
    }
    case 'modify':
    case 'modify_strict': {
      const n = dp.tables.modify(sel, fm.actions!, fm.newCookie);
      // OpenFlow 1.0: a modify that matches nothing adds the flow (unless selecting by cookie).
      if (n === 0 && fm.cookieMask === 0n) {
        dp.tables.add(
          new Flow(
            fm.table ?? 0,
            fm.priority,
            fm.cookie,
            fm.match,
            fm.actions!,
            fm.idleTimeout,
            fm.hardTimeout,
            now,
          ),
        );
        return 1;
      }
      return n;
    }
    case 'delete':
    case 'delete_strict':
      return dp.tables.delete(sel);
  }
}

/** The typed face of ovs-ofctl for other layers (agents install flows through it). */
export class Ofctl {
  constructor(readonly vs: Vswitchd) {}

  private dp(bridge: string): Datapath {
    const dp = this.vs.bridge(bridge);
    if (!dp) throw new OfctlError(`${bridge} is not a bridge or a socket`);
    return dp;
  }

  private parse(dp: Datapath, text: string, cmd: FlowModCommand): FlowMod {
    const fm = parseFlow(text, cmd, dp);
    if (typeof fm === 'string') throw new OfctlError(fm);
    return fm;
  }

  addFlow(bridge: string, text: string): void {
    const dp = this.dp(bridge);
    applyFlowMod(dp, this.parse(dp, text, 'add'));
  }

  /** add-flows: one flow per line; blank lines and `#` comments skipped; all parsed before any is added. */
  addFlows(bridge: string, text: string): void {
    const dp = this.dp(bridge);
    const fms = flowLines(text).map((l) => this.parse(dp, l, 'add'));
    for (const fm of fms) applyFlowMod(dp, fm);
  }

  modFlows(bridge: string, text: string, strict = false): number {
    const dp = this.dp(bridge);
    return applyFlowMod(dp, this.parse(dp, text, strict ? 'modify_strict' : 'modify'));
  }

  /** del-flows: without a flow, every flow of the bridge. */
  delFlows(bridge: string, text = '', strict = false): number {
    const dp = this.dp(bridge);
    return applyFlowMod(dp, this.parse(dp, text, strict ? 'delete_strict' : 'delete'));
  }

  dumpFlows(bridge: string, filter = '', opts: DumpFlowsOptions = {}): string {
    const dp = this.dp(bridge);
    const fm = this.parse(dp, filter, opts.strict ? 'delete_strict' : 'delete');
    let flows = dp.tables.select({
      table: fm.table,
      match: fm.match,
      priority: fm.priority,
      strict: !!opts.strict,
      cookie: fm.cookie,
      cookieMask: fm.cookieMask,
      outPort: fm.outPort,
    });
    if (opts.sort)
      flows = [...flows].sort((a, b) =>
        opts.sort === 'asc' ? a.priority - b.priority : b.priority - a.priority,
      );
    const useNames = opts.names ?? !!opts.tty;
    const now = dp.now();
    // ofctl_dump_flows(): without names, sorting or --no-stats the reply is printed whole (header,
    // Nicira idle_age); otherwise flow by flow from a standard OpenFlow 1.0 reply (no header, no ages).
    const raw = !useNames && !opts.noStats && !opts.sort;
    let out = raw
      ? opts.of13
        ? 'OFPST_FLOW reply (OF1.3) (xid=0x2):\n'
        : 'NXST_FLOW reply (xid=0x4):\n'
      : '';
    for (const f of flows) {
      const line = formatFlowLine(f, now, {
        names: useNames ? dp : undefined,
        noStats: opts.noStats,
        ages: raw,
        of13: opts.of13,
      });
      out += `${line}\n`;
    }
    return out;
  }

  /** dump-ports: OpenFlow 1.0 port statistics (the bridge's view: rx = into the bridge). */
  dumpPorts(bridge: string, port?: string, names = false): string {
    const dp = this.dp(bridge);
    let ports = [...dp.portList];
    if (port !== undefined) {
      const n = /^\d+$/.test(port) ? Number(port) : port === 'LOCAL' ? OFPP_LOCAL : dp.numberOf(port);
      ports = ports.filter((p) => p.ofport === n);
      if (ports.length === 0) throw new OfctlError(`${port}: invalid or unknown port`);
    }
    ports.sort((a, b) => (a.ofport === OFPP_LOCAL ? -1 : b.ofport === OFPP_LOCAL ? 1 : a.ofport - b.ofport));
    const pn: PortNames | undefined = names ? dp : undefined;
    let s = `OFPST_PORT reply (xid=0x2): ${ports.length} ports\n`;
    for (const p of ports) {
      s += `  port ${p.ofport < 10 ? ' ' : ''}${formatPort(p.ofport, pn)}: rx pkts=${p.rxPackets}, bytes=${p.rxBytes}, drop=${p.rxDropped}, errs=${p.rxErrors}, frame=0, over=0, crc=0\n`;
      s += `           tx pkts=${p.txPackets}, bytes=${p.txBytes}, drop=${p.txDropped}, errs=${p.txErrors}, coll=0\n`;
    }
    return s;
  }

  /** `ovs-ofctl show BR`. */
  show(bridge: string): string {
    const dp = this.dp(bridge);
    const row = this.vs.ops.findBridge(bridge);
    const dpid = row?.str('datapath_id') || '0000000000000000';
    let s = `OFPT_FEATURES_REPLY (xid=0x2): dpid:${dpid}\n`;
    s += 'n_tables:254, n_buffers:0\n';
    s += 'capabilities: FLOW_STATS TABLE_STATS PORT_STATS QUEUE_STATS ARP_MATCH_IP\n';
    s +=
      'actions: output enqueue set_vlan_vid set_vlan_pcp strip_vlan mod_dl_src mod_dl_dst mod_nw_src mod_nw_dst mod_nw_tos mod_tp_src mod_tp_dst\n';
    const ports = [...dp.portList].sort((a, b) =>
      a.ofport === OFPP_LOCAL ? 1 : b.ofport === OFPP_LOCAL ? -1 : a.ofport - b.ofport,
    );
    for (const p of ports) {
      const iface = this.vs.ops.findIface(p.name)?.iface;
      const mac = iface?.str('mac_in_use') || '00:00:00:00:00:00';
      const up = iface?.str('admin_state') !== 'down';
      const link = iface?.str('link_state') !== 'down';
      s += ` ${formatPort(p.ofport)}(${p.name}): addr:${mac}\n`;
      s += `     config:     ${up ? '0' : 'PORT_DOWN'}\n`;
      s += `     state:      ${link ? '0' : 'LINK_DOWN'}\n`;
      s += '     speed: 0 Mbps now, 0 Mbps max\n';
    }
    s += 'OFPT_GET_CONFIG_REPLY (xid=0x4): frags=normal miss_send_len=0\n';
    return s;
  }
}

export function flowLines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

/** `ovs-ofctl [OPTIONS] COMMAND BRIDGE [ARG…]`; `stdin` feeds `add-flows BR -`, `files` named files. */
export function runOfctl(
  vs: Vswitchd,
  argv: string[],
  io: { stdin?: string; files?: Record<string, string>; tty?: boolean } = {},
): CommandResult {
  const of = new Ofctl(vs);
  const opts = new Set<string>();
  const args: string[] = [];
  let of13 = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-O' || a === '--protocols') {
      of13 = /OpenFlow1[3-5]/.test(argv[++i] ?? '');
      continue;
    }
    if (a.startsWith('--protocols=') || a.startsWith('-O')) {
      of13 = /OpenFlow1[3-5]/.test(a);
      continue;
    }
    if (a.startsWith('--')) opts.add(a.slice(2));
    else args.push(a);
  }
  const [cmd, bridge, ...rest] = args;
  const fail = (msg: string): CommandResult => ({ stdout: '', stderr: `ovs-ofctl: ${msg}\n`, code: 1 });
  if (!cmd) return fail('missing command name; use --help for help');
  if (!bridge) return fail(`'${cmd}' command requires at least 1 arguments`);
  const strict = opts.has('strict');
  try {
    switch (cmd) {
      case 'add-flow':
        if (rest.length !== 1) return fail("'add-flow' command requires at least 2 arguments");
        of.addFlow(bridge, rest[0]);
        return ok('');
      case 'add-flows': {
        const src = rest[0];
        if (src === undefined) return fail("'add-flows' command requires at least 2 arguments");
        const text = src === '-' ? (io.stdin ?? '') : io.files?.[src];
        if (text === undefined) return fail(`${src}: open failed (No such file or directory)`);
        of.addFlows(bridge, text);
        return ok('');
      }
      case 'mod-flows':
        of.modFlows(bridge, rest[0] ?? '', strict);
        return ok('');
      case 'del-flows':
        of.delFlows(bridge, rest[0] ?? '', strict);
        return ok('');
      case 'dump-flows':
        return ok(
          of.dumpFlows(bridge, rest[0] ?? '', {
            tty: io.tty,
            names: opts.has('names') ? true : opts.has('no-names') ? false : undefined,
            noStats: opts.has('no-stats'),
            strict,
            sort: opts.has('sort') ? 'asc' : opts.has('rsort') ? 'desc' : undefined,
            of13,
          }),
        );
      case 'dump-ports':
        return ok(of.dumpPorts(bridge, rest[0], opts.has('names')));
      case 'show':
        return ok(of.show(bridge));
    }
    return fail(`unknown command '${cmd}'; use --help for help`);
  } catch (e) {
    if (e instanceof OfctlError) return fail(e.message);
    throw e;
  }
}

const ok = (stdout: string): CommandResult => ({ stdout, stderr: '', code: 0 });

/** `ovs-appctl fdb/show BR` (and `fdb/flush [BR]`). */
export function runAppctl(vs: Vswitchd, argv: string[]): CommandResult {
  const [cmd, bridge] = argv;
  if (cmd === 'fdb/show') {
    const dp = bridge ? vs.bridge(bridge) : undefined;
    if (!dp)
      return {
        stdout: '',
        stderr: 'no such bridge\novs-appctl: ovs-vswitchd: server returned an error\n',
        code: 2,
      };
    return ok(dp.macs.formatShow());
  }
  if (cmd === 'fdb/flush') {
    const names = bridge ? [bridge] : vs.bridgeNames();
    for (const n of names) vs.bridge(n)?.macs.flush();
    return ok('table successfully flushed\n');
  }
  return {
    stdout: '',
    stderr: `"${cmd}" is not a valid command\novs-appctl: ovs-vswitchd: server returned an error\n`,
    code: 2,
  };
}
