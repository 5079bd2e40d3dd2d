// The `conntrack` command (conntrack-tools 1.4.7) over a namespace's table: -L/-D with the
// filters Neutron's agents use (ip_conntrack.py deletes a port's entries by address and zone when
// security-group rules change), -F, -C.
import { parseIp } from '../../wire/index.js';
import { type CtEntry, formatEntry } from './conntrack.js';
import type { ToolResult } from './ipset.js';
import { PROTOCOL_NAMES } from './names.js';
import type { Netfilter } from './netfilter.js';

const PROG = 'conntrack v1.4.7 (conntrack-tools)';
const LONG_COMMANDS: Record<string, string> = {
  '--dump': '-L',
  '--delete': '-D',
  '--flush': '-F',
  '--count': '-C',
};

interface Filter {
  proto?: number;
  origSrc?: number;
  origDst?: number;
  sport?: number;
  dport?: number;
  replySrc?: number;
  replyDst?: number;
  zone?: number;
  mark?: number;
}

function matches(e: CtEntry, f: Filter): boolean {
  return (
    (f.proto === undefined || e.proto === f.proto) &&
    (f.origSrc === undefined || e.src0 === f.origSrc) &&
    (f.origDst === undefined || e.dst0 === f.origDst) &&
    (f.sport === undefined || e.sport0 === f.sport) &&
    (f.dport === undefined || e.dport0 === f.dport) &&
    (f.replySrc === undefined || e.src1 === f.replySrc) &&
    (f.replyDst === undefined || e.dst1 === f.replyDst) &&
    (f.zone === undefined || e.zone === f.zone) &&
    (f.mark === undefined || e.mark === f.mark)
  );
}

const fail = (msg: string, status = 2): ToolResult => ({ status, stdout: '', stderr: `${PROG}: ${msg}\n` });

/** Runs `conntrack <argv>` (argv without the program name). */
export function conntrackCommand(nf: Netfilter, argv: string[]): ToolResult {
  let cmd: string | null = null;
  const f: Filter = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => argv[++i] ?? '';
    const addr = (v: string) => {
      const n = parseIp(v);
      if (n === null) throw new Error(`Bad IP address \`${v}'`);
      return n;
    };
    try {
      switch (a) {
        case '-L':
        case '--dump':
        case '-D':
        case '--delete':
        case '-F':
        case '--flush':
        case '-C':
        case '--count':
          if (cmd !== null) return fail('Invalid parameters');
          cmd = LONG_COMMANDS[a] ?? a;
          break;
        case '-f':
        case '--family':
          if (val() !== 'ipv4')
            return { status: 0, stdout: '', stderr: `${PROG}: 0 flow entries have been shown.\n` };
          break;
        case '-p':
        case '--proto': {
          const v = val();
          const p = PROTOCOL_NAMES[v] ?? (/^\d+$/.test(v) ? Number(v) : undefined);
          if (p === undefined) return fail(`proto \`${v}' not found`);
          f.proto = p;
          break;
        }
        case '-s':
        case '--orig-src':
        case '--src':
          f.origSrc = addr(val());
          break;
        case '-d':
        case '--orig-dst':
        case '--dst':
          f.origDst = addr(val());
          break;
        case '-r':
        case '--reply-src':
          f.replySrc = addr(val());
          break;
        case '-q':
        case '--reply-dst':
          f.replyDst = addr(val());
          break;
        case '--sport':
        case '--orig-port-src':
          f.sport = Number(val());
          break;
        case '--dport':
        case '--orig-port-dst':
          f.dport = Number(val());
          break;
        case '-w':
        case '--zone':
          f.zone = Number(val());
          break;
        case '-m':
        case '--mark':
          f.mark = Number(val());
          break;
        case '-t':
        case '--timeout':
          val();
          break;
        default:
          return fail(`Bad parameter \`${a}'`);
      }
    } catch (e) {
      return fail((e as Error).message);
    }
  }
  const live = nf.conntrack.live();
  const clockNow = nf.conntrack.now;
  switch (cmd) {
    case '-L': {
      const hits = live.filter((e) => matches(e, f));
      return {
        status: 0,
        stdout: hits.map((e) => `${formatEntry(e, clockNow)}\n`).join(''),
        stderr: `${PROG}: ${hits.length} flow entries have been shown.\n`,
      };
    }
    case '-D': {
      const hits = live.filter((e) => matches(e, f));
      for (const e of hits) nf.conntrack.remove(e);
      return {
        status: hits.length ? 0 : 1,
        stdout: hits.map((e) => `${formatEntry(e, clockNow)}\n`).join(''),
        stderr: `${PROG}: ${hits.length} flow entries have been deleted.\n`,
      };
    }
    case '-F':
      nf.conntrack.flush();
      return { status: 0, stdout: '', stderr: `${PROG}: connection tracking table has been emptied.\n` };
    case '-C':
      return { status: 0, stdout: `${live.length}\n`, stderr: '' };
  }
  return fail('no command specified');
}
