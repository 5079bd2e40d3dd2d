// `tcpdump -i DEV -w FILE` for the simulation: records a device's frames with their virtual
// timestamps and writes a classic pcap file (wire/pcap.ts). Frames are copied when captured, so a
// later in-place rewrite by some layer cannot change what was recorded.

import { type PcapOptions, type PcapRecord, writePcap } from '../wire/pcap.js';
import type { Direction, NetDevice } from './device.js';

export interface PcapCaptureOptions extends PcapOptions {
  /** Which frames to record: received, transmitted, or both (tcpdump's -Q in|out|inout). Default both. */
  direction?: Direction | 'both';
  /** Stop after this many frames (tcpdump -c). */
  count?: number;
}

export class PcapCapture {
  readonly records: PcapRecord[] = [];
  private unsubscribe: (() => void) | null;

  constructor(
    readonly dev: NetDevice,
    private readonly opts: PcapCaptureOptions = {},
  ) {
    const want = opts.direction ?? 'both';
    const max = opts.count ?? Number.POSITIVE_INFINITY;
    this.unsubscribe = dev.capture((time, frame, dir) => {
      if (want !== 'both' && dir !== want) return;
      this.records.push({ timeNs: time, frame: frame.slice() });
      if (this.records.length >= max) this.stop();
    });
  }

  get running(): boolean {
    return this.unsubscribe !== null;
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  /** The capture so far as a pcap file. */
  file(): Uint8Array {
    return writePcap(this.records, this.opts);
  }
}
