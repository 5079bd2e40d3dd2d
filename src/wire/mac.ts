// MAC addresses: 6 bytes in frames, 'fa:16:3e:2b:7c:11' (lower case, as `ip link` prints) in
// text, and a 48-bit number for table keys (fits a double exactly, no string per lookup).

export const MAC_LEN = 6;
export const BROADCAST_MAC = 'ff:ff:ff:ff:ff:ff';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** 'fa:16:3e:2b:7c:11' from 6 bytes at `off`. */
export function macToString(buf: Uint8Array, off = 0): string {
  return `${HEX[buf[off]]}:${HEX[buf[off + 1]]}:${HEX[buf[off + 2]]}:${HEX[buf[off + 3]]}:${HEX[buf[off + 4]]}:${HEX[buf[off + 5]]}`;
}

function hexNibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Parses 'fa:16:3e:2b:7c:11' (also upper case, or '-' separated as Neutron sometimes gets them); null if invalid. */
export function parseMac(text: string): Uint8Array | null {
  if (text.length === 17) {
    // The canonical form, without regexes or splitting (builders call this per frame).
    const out = new Uint8Array(6);
    for (let i = 0; i < 6; i++) {
      const hi = hexNibble(text.charCodeAt(i * 3));
      const lo = hexNibble(text.charCodeAt(i * 3 + 1));
      const sep = i < 5 ? text.charCodeAt(i * 3 + 2) : 58;
      if (hi < 0 || lo < 0 || (sep !== 58 && sep !== 45)) return null;
      out[i] = (hi << 4) | lo;
    }
    return out;
  }
  const parts = text.split(/[:-]/);
  if (parts.length !== 6) return null;
  const out = new Uint8Array(6);
  for (let i = 0; i < 6; i++) {
    const p = parts[i];
    if (!/^[0-9a-fA-F]{1,2}$/.test(p)) return null;
    out[i] = Number.parseInt(p, 16);
  }
  return out;
}

/** As parseMac but throws: for constants and configuration, never for packet data. */
export function mac(text: string): Uint8Array {
  const m = parseMac(text);
  if (!m) throw new Error(`invalid MAC address: ${text}`);
  return m;
}

/** A MAC as text or as its 6 bytes. */
export type MacInput = string | Uint8Array;

/** Writes a MAC (text or bytes) into `buf` at `off`. */
export function writeMac(buf: Uint8Array, off: number, m: MacInput): void {
  buf.set(typeof m === 'string' ? mac(m) : m.subarray(0, 6), off);
}

/** The 48-bit MAC at `off` as a number (for FDB / learning-table keys on the hot path). */
export function readMac48(buf: Uint8Array, off: number): number {
  return (
    (buf[off] * 0x10000 + ((buf[off + 1] << 8) | buf[off + 2])) * 0x1000000 +
    ((buf[off + 3] << 16) | (buf[off + 4] << 8) | buf[off + 5])
  );
}

export function mac48ToString(n: number): string {
  const hi = Math.floor(n / 0x1000000);
  const lo = n % 0x1000000;
  return `${HEX[(hi >>> 16) & 0xff]}:${HEX[(hi >>> 8) & 0xff]}:${HEX[hi & 0xff]}:${HEX[(lo >>> 16) & 0xff]}:${HEX[(lo >>> 8) & 0xff]}:${HEX[lo & 0xff]}`;
}

export function writeMac48(buf: Uint8Array, off: number, n: number): void {
  const hi = Math.floor(n / 0x1000000);
  const lo = n % 0x1000000;
  buf[off] = (hi >>> 16) & 0xff;
  buf[off + 1] = (hi >>> 8) & 0xff;
  buf[off + 2] = hi & 0xff;
  buf[off + 3] = (lo >>> 16) & 0xff;
  buf[off + 4] = (lo >>> 8) & 0xff;
  buf[off + 5] = lo & 0xff;
}

export function macEquals(a: Uint8Array, aOff: number, b: Uint8Array, bOff: number): boolean {
  return (
    a[aOff] === b[bOff] &&
    a[aOff + 1] === b[bOff + 1] &&
    a[aOff + 2] === b[bOff + 2] &&
    a[aOff + 3] === b[bOff + 3] &&
    a[aOff + 4] === b[bOff + 4] &&
    a[aOff + 5] === b[bOff + 5]
  );
}

/** Group bit (I/G) set: broadcast and multicast are flooded by bridges. */
export function isMulticastMac(buf: Uint8Array, off: number): boolean {
  return (buf[off] & 1) === 1;
}

export function isBroadcastMac(buf: Uint8Array, off: number): boolean {
  return (buf[off] & buf[off + 1] & buf[off + 2] & buf[off + 3] & buf[off + 4] & buf[off + 5]) === 0xff;
}
