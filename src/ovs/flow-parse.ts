// The flow syntax of `ovs-ofctl add-flow/add-flows/mod-flows/del-flows` (ovs-ofctl(8) "Flow
// Syntax", lib/ofp-flow.c parse_ofp_str__): `field=value` pairs separated by commas or spaces,
// then `actions=` and the action list. The statistics fields of a dump-flows line (duration,
// n_packets, n_bytes, idle_age, hard_age) are accepted and ignored, so a dump can be fed back.

import { type Action, parseActions, splitTopLevel } from './actions.js';
import { parseIntText } from './flow-fields.js';
import { Match, normalizeMatch, parseMatchField } from './flow-match.js';
import { type PortNames, parsePort } from './ports.js';

export type FlowModCommand = 'add' | 'modify' | 'modify_strict' | 'delete' | 'delete_strict';

export interface FlowMod {
  command: FlowModCommand;
  /** undefined: all tables (the default for modify/delete), otherwise the table. */
  table: number | undefined;
  priority: number;
  cookie: bigint;
  /** Cookie mask for selection (modify/delete); 0 = do not select by cookie. */
  cookieMask: bigint;
  /** The cookie a modify sets (cookie=V without a mask). */
  newCookie?: bigint;
  idleTimeout: number;
  hardTimeout: number;
  importance: number;
  sendFlowRem: boolean;
  outPort: number | undefined;
  match: Match;
  actions: Action[] | undefined;
  warnings: string[];
}

const IGNORED = new Set([
  'duration',
  'n_packets',
  'n_bytes',
  'idle_age',
  'hard_age',
  'packet_count',
  'byte_count',
]);

/** Parses one flow in `command`'s syntax; an error string (as ovs-ofctl prints it) on failure. */
export function parseFlow(text: string, command: FlowModCommand, names?: PortNames): FlowMod | string {
  const fm: FlowMod = {
    command,
    table: command === 'add' ? 0 : undefined,
    priority: 32768,
    cookie: 0n,
    cookieMask: 0n,
    idleTimeout: 0,
    hardTimeout: 0,
    importance: 0,
    sendFlowRem: false,
    outPort: undefined,
    match: new Match(),
    actions: undefined,
    warnings: [],
  };
  let matchText = text.trim();
  let actText: string | undefined;
  const am = /(^|[\s,])actions?=/.exec(matchText);
  if (am) {
    actText = matchText.slice(am.index + am[0].length).trim();
    matchText = matchText.slice(0, am.index);
  }
  const needsActions = command === 'add' || command === 'modify' || command === 'modify_strict';
  if (needsActions && actText === undefined) return `${text}: must specify an action`;
  if (!needsActions && actText !== undefined) return `${text}: actions are not allowed here`;

  for (const tok of splitTopLevel(matchText.replace(/\s+/g, ','))) {
    const eq = tok.indexOf('=');
    const name = eq < 0 ? tok : tok.slice(0, eq);
    const value = eq < 0 ? undefined : tok.slice(eq + 1);
    if (IGNORED.has(name)) continue;
    const num = (): number | string => {
      const v = value === undefined ? null : parseIntText(value);
      return v === null ? `${tok}: invalid value for ${name}` : Number(v);
    };
    let n: number | string;
    switch (name) {
      case 'table':
        n = num();
        if (typeof n === 'string') return n;
        if (n > 254 && !(n === 255 && command !== 'add')) return `${value}: invalid table`;
        fm.table = n === 255 ? undefined : n;
        continue;
      case 'priority':
        n = num();
        if (typeof n === 'string') return n;
        if (n > 65535) return `${value}: priority must be between 0 and 65535`;
        fm.priority = n;
        continue;
      case 'idle_timeout':
        n = num();
        if (typeof n === 'string') return n;
        fm.idleTimeout = n;
        continue;
      case 'hard_timeout':
        n = num();
        if (typeof n === 'string') return n;
        fm.hardTimeout = n;
        continue;
      case 'importance':
        n = num();
        if (typeof n === 'string') return n;
        fm.importance = n;
        continue;
      case 'send_flow_rem':
        fm.sendFlowRem = true;
        continue;
      case 'check_overlap':
      case 'reset_counts':
      case 'no_packet_counts':
      case 'no_byte_counts':
        continue;
      case 'out_port': {
        const p = value === undefined ? null : parsePort(value, names);
        if (p === null) return `${value}: invalid or unknown port for out_port`;
        fm.outPort = p;
        continue;
      }
      case 'cookie': {
        if (value === undefined) return 'cookie: missing value';
        const slash = value.indexOf('/');
        const v = parseIntText(slash < 0 ? value : value.slice(0, slash));
        if (v === null) return `${value}: invalid cookie`;
        if (slash >= 0) {
          // A mask means searching by cookie (modify/delete selection).
          if (command === 'add') return 'flow additions cannot use a cookie mask';
          const m = parseIntText(value.slice(slash + 1));
          if (m === null) return `${value}: invalid cookie mask`;
          fm.cookie = v;
          fm.cookieMask = m;
        } else {
          // No mask means the cookie is being set (add, or the new cookie of a modify).
          if (command === 'delete' || command === 'delete_strict') return 'cannot set cookie';
          fm.cookie = v;
          fm.newCookie = v;
        }
        continue;
      }
    }
    const r = parseMatchField(fm.match, name, value, { names, warnings: fm.warnings });
    if (r === undefined) return `unknown keyword ${name}`;
    if (r !== null) return r;
  }
  normalizeMatch(fm.match, fm.warnings);
  if (actText !== undefined) {
    const acts = parseActions(actText, { names, table: fm.table });
    if (typeof acts === 'string') return acts;
    fm.actions = acts;
  }
  return fm;
}
