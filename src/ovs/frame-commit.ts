// Turning the (possibly modified) flow key back into bytes at output time, as OVS commits its
// set_field/VLAN actions to the packet only when it outputs (commit_odp_actions). An unmodified
// frame is passed on as the same bytes (frames are immutable once handed to a device, see
// kernel/device.ts); a modified one is rebuilt once and shared by every output that sees the
// same key state.

import { checksumReplace16, checksumReplace32, internetChecksum } from '../wire/checksum.js';
import { allocFrame } from '../wire/frame-alloc.js';
import { DIRTY_ARP, DIRTY_ETH, DIRTY_IP, DIRTY_L4 } from './compiled-actions.js';
import { K } from './flow-fields.js';
import { ETH_TYPE_ARP, ETH_TYPE_IP, VLAN_CFI } from './flow-match.js';

function putU32(b: Uint8Array, off: number, v: number): void {
  b[off] = v >>> 24;
  b[off + 1] = v >>> 16;
  b[off + 2] = v >>> 8;
  b[off + 3] = v;
}

function putMac(b: Uint8Array, off: number, hi: number, lo: number): void {
  b[off] = hi >>> 8;
  b[off + 1] = hi;
  putU32(b, off + 2, lo);
}

const rdU32 = (b: Uint8Array, o: number): number =>
  ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
const rdU16 = (b: Uint8Array, o: number): number => (b[o] << 8) | b[o + 1];

/** True when `key` still describes `orig` exactly as far as the bytes go. */
export function frameUnchanged(orig: Uint8Array, l3: number, key: Int32Array, dirty: number): boolean {
  if (dirty !== 0) return false;
  const tci = key[K.VLAN_TCI];
  const tagged = (tci & VLAN_CFI) !== 0;
  if (tagged !== (l3 === 18)) return false;
  return !tagged || (tci & 0xefff) === rdU16(orig, 14);
}

/** A new frame from the original bytes with the key's MACs, VLAN tag and L3/L4 fields written in. */
export function buildFrame(
  orig: Uint8Array,
  l3: number,
  l4: number,
  key: Int32Array,
  dirty: number,
): Uint8Array {
  const tci = key[K.VLAN_TCI];
  const tagged = (tci & VLAN_CFI) !== 0;
  const nl3 = tagged ? 18 : 14;
  const out = allocFrame(nl3 + orig.length - l3);
  if (dirty & DIRTY_ETH) {
    putMac(out, 0, key[K.DL_DST_HI], key[K.DL_DST_LO]);
    putMac(out, 6, key[K.DL_SRC_HI], key[K.DL_SRC_LO]);
  } else for (let i = 0; i < 12; i++) out[i] = orig[i];
  if (tagged) {
    out[12] = 0x81;
    out[13] = 0x00;
    // The CFI bit only marks "tag present" in the flow; the wire TCI keeps PCP and VID.
    out[14] = (tci & 0xefff) >>> 8;
    out[15] = tci;
  }
  const type = key[K.DL_TYPE];
  out[nl3 - 2] = type >>> 8;
  out[nl3 - 1] = type;
  // Small payloads copy faster by hand than through a subarray view (one object less per frame).
  const n = orig.length - l3;
  if (n <= 128) for (let i = 0; i < n; i++) out[nl3 + i] = orig[l3 + i];
  else out.set(orig.subarray(l3), nl3);
  if (type === ETH_TYPE_ARP && dirty & DIRTY_ARP && out.length >= nl3 + 28) {
    const a = nl3;
    out[a + 6] = key[K.NW_PROTO] >>> 8;
    out[a + 7] = key[K.NW_PROTO];
    putMac(out, a + 8, key[K.ARP_SHA_HI], key[K.ARP_SHA_LO]);
    putU32(out, a + 14, key[K.NW_SRC]);
    putMac(out, a + 18, key[K.ARP_THA_HI], key[K.ARP_THA_LO]);
    putU32(out, a + 24, key[K.NW_DST]);
  } else if (type === ETH_TYPE_IP && dirty & (DIRTY_IP | DIRTY_L4) && out.length >= nl3 + 20) {
    commitIpv4(out, nl3, l4 < 0 ? -1 : l4 - l3 + nl3, key);
  }
  return out;
}

function commitIpv4(out: Uint8Array, ip: number, l4: number, key: Int32Array): void {
  const oldSrc = rdU32(out, ip + 12);
  const oldDst = rdU32(out, ip + 16);
  const newSrc = key[K.NW_SRC] >>> 0;
  const newDst = key[K.NW_DST] >>> 0;
  out[ip + 1] = key[K.NW_TOS];
  out[ip + 8] = key[K.NW_TTL];
  putU32(out, ip + 12, newSrc);
  putU32(out, ip + 16, newDst);
  out[ip + 10] = 0;
  out[ip + 11] = 0;
  const ihl = (out[ip] & 0x0f) * 4;
  const c = internetChecksum(out, ip, ihl);
  out[ip + 10] = c >>> 8;
  out[ip + 11] = c;
  if (l4 < 0) return;
  const proto = out[ip + 9];
  const csumOff = proto === 17 ? l4 + 6 : proto === 6 ? l4 + 16 : -1;
  if (csumOff < 0 || out.length < csumOff + 2) return;
  let csum = rdU16(out, csumOff);
  // A zero UDP checksum means "none" and stays so.
  if (proto === 17 && csum === 0) {
    writePorts(out, l4, key);
    return;
  }
  csum = checksumReplace32(csum, oldSrc, newSrc);
  csum = checksumReplace32(csum, oldDst, newDst);
  csum = checksumReplace16(csum, rdU16(out, l4), key[K.TP_SRC] & 0xffff);
  csum = checksumReplace16(csum, rdU16(out, l4 + 2), key[K.TP_DST] & 0xffff);
  writePorts(out, l4, key);
  if (proto === 17 && csum === 0) csum = 0xffff;
  out[csumOff] = csum >>> 8;
  out[csumOff + 1] = csum;
}

function writePorts(out: Uint8Array, l4: number, key: Int32Array): void {
  out[l4] = key[K.TP_SRC] >>> 8;
  out[l4 + 1] = key[K.TP_SRC];
  out[l4 + 2] = key[K.TP_DST] >>> 8;
  out[l4 + 3] = key[K.TP_DST];
}
