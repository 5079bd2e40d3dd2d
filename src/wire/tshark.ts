// Test support: decodes pcap bytes with Debian's tshark, the independent judge of our codecs.
// Not exported from index.ts; the data plane never spawns processes.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writePcap } from './pcap.js';

export const hasTshark = (): boolean =>
  spawnSync('sh', ['-c', 'command -v tshark'], { stdio: 'ignore' }).status === 0;

// Checksum validation is off by default in Wireshark; turn it on so a wrong checksum is reported.
const CHECKSUM_PREFS = [
  '-o',
  'ip.check_checksum:TRUE',
  '-o',
  'udp.check_checksum:TRUE',
  '-o',
  'tcp.check_checksum:TRUE',
];

/** Runs `tshark -r <file> ...args` on frames written as pcap; returns stdout. */
export function tshark(frames: Uint8Array[], args: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'pocketstack-wire-'));
  try {
    const file = join(dir, 'capture.pcap');
    writeFileSync(file, writePcap(frames.map((frame, i) => ({ timeNs: i * 1_000_000, frame }))));
    const r = spawnSync('tshark', ['-n', '-r', file, ...CHECKSUM_PREFS, ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`tshark failed (${r.status}): ${r.stderr}`);
    return r.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One line per frame of tab-separated field values (`tshark -T fields -e ...`). */
export function tsharkFields(frames: Uint8Array[], fields: string[]): string[][] {
  const out = tshark(frames, ['-T', 'fields', ...fields.flatMap((f) => ['-e', f])]);
  return out
    .replace(/\n$/, '')
    .split('\n')
    .map((l) => l.split('\t'));
}

/** Lines of `tshark -V` that signal a decoding problem (malformed packet, bad checksum, expert warnings). */
export function tsharkProblems(verbose: string): string[] {
  return verbose
    .split('\n')
    .filter((l) =>
      /Malformed|\[Checksum Status: Bad\]|incorrect|Bad checksum|Expert Info \((Warning|Error)/i.test(l),
    );
}

/** Reads a hex dump from src/wire/testdata (whitespace and '#' comments ignored). */
export function testdataHex(name: string): Uint8Array {
  const text = readFileSync(new URL(`../../../src/wire/testdata/${name}`, import.meta.url), 'utf8');
  const hex = text.replace(/#.*$/gm, '').replace(/\s+/g, '');
  return Uint8Array.from(hex.match(/../g) ?? [], (h) => Number.parseInt(h, 16));
}
