// Glance's image format inspector, on the bytes as they stream in: what format the data really
// is, its virtual size, and whether the upload must be refused. Since the 2024 image-format
// security fixes (OSSA-2024-001/002, `[image_format] require_image_format_match = True` by
// default) Glance refuses data that does not match the declared disk_format and qcow2 files
// with a backing or data file. Debian 12's Glance (Zed) did not: it stored a raw file declared
// qcow2 as `active` with `virtual_size: null` (reference/real-glance/cli-traces/
// image_create_raw_as_qcow2.json) — `requireFormatMatch: false` gives that behaviour.
import { parseQcow2Header, qcow2SafetyProblem } from './qcow2.js';

/** Enough to see every magic we look for (ISO 9660's volume descriptor sits at 32 KiB). */
const PEEK = 64 * 1024;

export interface Inspection {
  /** What the bytes are, as far as the inspector can tell ('raw' when nothing else matched). */
  detected: string;
  /** The guest-visible size, null when the data does not parse as the declared format. */
  virtualSize: number | null;
  /** Why the upload is refused, or null. */
  refusal: string | null;
}

const ascii = (b: Uint8Array, at: number, text: string) =>
  b.length >= at + text.length && [...text].every((c, i) => b[at + i] === c.charCodeAt(0));

const le32 = (b: Uint8Array, at: number) =>
  b.length >= at + 4 ? new DataView(b.buffer, b.byteOffset + at, 4).getUint32(0, true) : 0;
const le64 = (b: Uint8Array, at: number) =>
  b.length >= at + 8 ? Number(new DataView(b.buffer, b.byteOffset + at, 8).getBigUint64(0, true)) : 0;

interface FormatProbe {
  matches(head: Uint8Array): boolean;
  virtualSize(head: Uint8Array, size: number): number | null;
  safety?(head: Uint8Array): string | null;
}

const probes: Record<string, FormatProbe> = {
  qcow2: {
    matches: (h) => parseQcow2Header(h) !== null,
    virtualSize: (h) => Number(parseQcow2Header(h)?.size ?? 0) || null,
    safety: (h) => {
      const header = parseQcow2Header(h);
      return header ? qcow2SafetyProblem(header) : null;
    },
  },
  vmdk: {
    // Hosted sparse extent: 'KDMV', capacity in 512-byte sectors at offset 12.
    matches: (h) => ascii(h, 0, 'KDMV'),
    virtualSize: (h) => le64(h, 12) * 512 || null,
  },
  vdi: {
    matches: (h) => le32(h, 0x40) === 0xbeda107f,
    virtualSize: (h) => le64(h, 0x170) || null,
  },
  vhdx: { matches: (h) => ascii(h, 0, 'vhdxfile'), virtualSize: () => null },
  // Dynamic VHDs start with a copy of the footer; fixed ones only end with it.
  vhd: { matches: (h) => ascii(h, 0, 'conectix'), virtualSize: () => null },
  iso: {
    // Primary volume descriptor at 32 KiB: volume space size (LE) × logical block size (LE).
    matches: (h) => ascii(h, 0x8001, 'CD001'),
    virtualSize: (h) => le32(h, 0x8050) * (h.length >= 0x8082 ? h[0x8080] | (h[0x8081] << 8) : 0) || null,
  },
};

/** Formats Glance has no inspector for: stored without a look. */
const uninspected = new Set(['ami', 'ari', 'aki', 'ploop']);

export class FormatInspector {
  private readonly head = new Uint8Array(PEEK);
  private filled = 0;

  constructor(
    private readonly diskFormat: string,
    private readonly requireFormatMatch: boolean,
  ) {}

  push(chunk: Uint8Array): void {
    if (this.filled >= PEEK) return;
    const n = Math.min(chunk.length, PEEK - this.filled);
    this.head.set(chunk.subarray(0, n), this.filled);
    this.filled += n;
  }

  /**
   * The refusal, as soon as the bytes seen decide it (every magic we know of sits in the first
   * 64 KiB): the upload stops there instead of storing a whole file only to delete it.
   */
  earlyRefusal(): string | null {
    if (this.early === undefined && this.filled >= PEEK) this.early = this.finish(PEEK).refusal;
    return this.early ?? null;
  }
  private early: string | null | undefined;

  finish(size: number): Inspection {
    const head = this.head.subarray(0, this.filled);
    const detected = Object.entries(probes).find(([, p]) => p.matches(head))?.[0] ?? 'raw';
    const declared = this.diskFormat;
    if (uninspected.has(declared)) return { detected, virtualSize: null, refusal: null };
    const matched = declared === detected;
    let virtualSize: number | null = null;
    if (matched) virtualSize = declared === 'raw' ? size || null : probes[declared].virtualSize(head, size);
    if (!this.requireFormatMatch) return { detected, virtualSize, refusal: null };
    if (!matched) return { detected, virtualSize: null, refusal: 'Image content does not match disk_format' };
    const problem = probes[declared]?.safety?.(head) ?? null;
    return { detected, virtualSize, refusal: problem ? 'Image does not pass safety check' : null };
  }
}
