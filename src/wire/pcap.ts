// Classic libpcap files (not pcapng): 24-byte global header, then per packet a 16-byte record
// header and the captured bytes. Timestamps come from the simulation's virtual clock, never the
// wall clock, so the same run writes the same file.
import { fail, ok, type ParseResult } from './result.js';

/** Microsecond-resolution magic; the nanosecond variant is 0xa1b23c4d (libpcap >= 1.5). */
export const PCAP_MAGIC_US = 0xa1b2c3d4;
export const PCAP_MAGIC_NS = 0xa1b23c4d;
export const LINKTYPE_ETHERNET = 1;
export const PCAP_GLOBAL_HEADER_LEN = 24;
export const PCAP_RECORD_HEADER_LEN = 16;

export interface PcapRecord {
  /** Virtual time in nanoseconds since the start of the simulation (the epoch of the file). */
  timeNs: number;
  frame: Uint8Array;
  /** Length on the wire when `frame` was cut at the snap length (defaults to frame.length). */
  origLen?: number;
}

export interface PcapOptions {
  /** Write nanosecond timestamps (magic a1b23c4d) instead of microseconds. */
  nanoseconds?: boolean;
  snaplen?: number;
  linktype?: number;
  /** Added to every timestamp, in ns (e.g. a fixed start date so tools show a plausible time). */
  epochNs?: number;
}

/** Streams pcap bytes: header once, then one chunk per record (a capture tap appends these to a file). */
export class PcapWriter {
  readonly nanoseconds: boolean;
  readonly snaplen: number;
  readonly linktype: number;
  readonly epochNs: number;

  constructor(options: PcapOptions = {}) {
    this.nanoseconds = options.nanoseconds ?? false;
    this.snaplen = options.snaplen ?? 262144;
    this.linktype = options.linktype ?? LINKTYPE_ETHERNET;
    this.epochNs = options.epochNs ?? 0;
  }

  header(): Uint8Array {
    const b = new Uint8Array(PCAP_GLOBAL_HEADER_LEN);
    const v = new DataView(b.buffer);
    // Written little-endian, as libpcap does on x86; readers detect byte order from the magic.
    v.setUint32(0, this.nanoseconds ? PCAP_MAGIC_NS : PCAP_MAGIC_US, true);
    v.setUint16(4, 2, true);
    v.setUint16(6, 4, true);
    v.setInt32(8, 0, true); // thiszone
    v.setUint32(12, 0, true); // sigfigs
    v.setUint32(16, this.snaplen, true);
    v.setUint32(20, this.linktype, true);
    return b;
  }

  record(rec: PcapRecord): Uint8Array {
    const capLen = Math.min(rec.frame.length, this.snaplen);
    const b = new Uint8Array(PCAP_RECORD_HEADER_LEN + capLen);
    const v = new DataView(b.buffer);
    const t = Math.round(rec.timeNs + this.epochNs);
    const sec = Math.floor(t / 1e9);
    const frac = t - sec * 1e9;
    v.setUint32(0, sec, true);
    v.setUint32(4, this.nanoseconds ? frac : Math.floor(frac / 1000), true);
    v.setUint32(8, capLen, true);
    v.setUint32(12, rec.origLen ?? rec.frame.length, true);
    b.set(rec.frame.subarray(0, capLen), PCAP_RECORD_HEADER_LEN);
    return b;
  }
}

/** A whole pcap file from records. */
export function writePcap(records: Iterable<PcapRecord>, options: PcapOptions = {}): Uint8Array {
  const w = new PcapWriter(options);
  const chunks = [w.header()];
  for (const r of records) chunks.push(w.record(r));
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

export interface PcapFile {
  nanoseconds: boolean;
  snaplen: number;
  linktype: number;
  records: PcapRecord[];
}

/** Reads a classic pcap file of either byte order and resolution; timestamps come back in ns. */
export function readPcap(bytes: Uint8Array): ParseResult<PcapFile> {
  if (bytes.length < PCAP_GLOBAL_HEADER_LEN) return fail('truncated');
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let le = true;
  let magic = v.getUint32(0, true);
  if (magic !== PCAP_MAGIC_US && magic !== PCAP_MAGIC_NS) {
    le = false;
    magic = v.getUint32(0, false);
    if (magic !== PCAP_MAGIC_US && magic !== PCAP_MAGIC_NS) return fail('malformed');
  }
  const nanoseconds = magic === PCAP_MAGIC_NS;
  const records: PcapRecord[] = [];
  let o = PCAP_GLOBAL_HEADER_LEN;
  while (o < bytes.length) {
    if (o + PCAP_RECORD_HEADER_LEN > bytes.length) return fail('truncated');
    const sec = v.getUint32(o, le);
    const frac = v.getUint32(o + 4, le);
    const capLen = v.getUint32(o + 8, le);
    const origLen = v.getUint32(o + 12, le);
    o += PCAP_RECORD_HEADER_LEN;
    if (o + capLen > bytes.length) return fail('truncated');
    records.push({
      timeNs: sec * 1e9 + (nanoseconds ? frac : frac * 1000),
      frame: bytes.slice(o, o + capLen),
      origLen,
    });
    o += capLen;
  }
  return ok({ nanoseconds, snaplen: v.getUint32(16, le), linktype: v.getUint32(20, le), records });
}
