// OpenFlow port numbers as ovs-ofctl speaks them: the OpenFlow 1.0 reserved ports (what OVS
// prints in `dump-flows` without -O) and the name quoting of `--names` output (lib/ofp-port.c).

export const OFPP_MAX = 0xff00;
export const OFPP_IN_PORT = 0xfff8;
export const OFPP_TABLE = 0xfff9;
export const OFPP_NORMAL = 0xfffa;
export const OFPP_FLOOD = 0xfffb;
export const OFPP_ALL = 0xfffc;
export const OFPP_CONTROLLER = 0xfffd;
export const OFPP_LOCAL = 0xfffe;
export const OFPP_NONE = 0xffff;

const RESERVED: [string, number][] = [
  ['IN_PORT', OFPP_IN_PORT],
  ['TABLE', OFPP_TABLE],
  ['NORMAL', OFPP_NORMAL],
  ['FLOOD', OFPP_FLOOD],
  ['ALL', OFPP_ALL],
  ['CONTROLLER', OFPP_CONTROLLER],
  ['LOCAL', OFPP_LOCAL],
  ['NONE', OFPP_NONE],
];
const reservedByName = new Map(RESERVED.map(([n, v]) => [n, v]));
reservedByName.set('ANY', OFPP_NONE);
const reservedByNumber = new Map(RESERVED.map(([n, v]) => [v, n]));

/** Port names of one bridge (both directions), for `--names` output and name arguments. */
export interface PortNames {
  numberOf(name: string): number | undefined;
  nameOf(ofport: number): string | undefined;
}

/** Parses a port argument: a number, a reserved name (LOCAL, IN_PORT …), or a port name (possibly quoted). */
export function parsePort(text: string, names?: PortNames): number | null {
  let t = text;
  if (t.length >= 2 && t.startsWith('"') && t.endsWith('"')) t = t.slice(1, -1);
  if (/^\d+$/.test(t)) {
    const n = Number(t);
    return n <= 0xffff ? n : null;
  }
  if (/^0x[0-9a-f]+$/i.test(t)) return Number(t) <= 0xffff ? Number(t) : null;
  const reserved = reservedByName.get(t.toUpperCase());
  if (reserved !== undefined && t === t.toUpperCase()) return reserved;
  const n = names?.numberOf(t);
  if (n !== undefined) return n;
  if (reserved !== undefined) return reserved;
  return null;
}

/** ofputil_format_port: a port name when known (quoted unless a plain identifier), else the reserved name or number. */
export function formatPort(port: number, names?: PortNames): string {
  const name = names?.nameOf(port);
  if (name !== undefined) return portNameNeedsQuotes(name) ? JSON.stringify(name) : name;
  return reservedByNumber.get(port) ?? String(port);
}

function portNameNeedsQuotes(name: string): boolean {
  return !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name);
}
