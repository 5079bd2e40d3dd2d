// IEEE 802.1Q: a 4-byte tag (TPID 0x8100, TCI = PCP:3 DEI:1 VID:12) inserted after the source MAC.
// OVS access ports push/pop it (mod_vlan_vid / strip_vlan); push and pop make new frames because
// the length changes.
import { readU16, writeU16 } from './byte-order.js';
import { ETH_HEADER_LEN, ETHERTYPE_VLAN } from './ethernet.js';
import { allocFrame } from './frame-alloc.js';
import { fail, ok, type ParseResult } from './result.js';

export const VLAN_TAG_LEN = 4;

export interface VlanTci {
  pcp: number;
  dei: boolean;
  vid: number;
}

export function isVlanTagged(frame: Uint8Array, off = 0): boolean {
  return frame.length - off >= ETH_HEADER_LEN + VLAN_TAG_LEN && readU16(frame, off + 12) === ETHERTYPE_VLAN;
}

/** Raw 16-bit TCI of a tagged frame (caller checked isVlanTagged). */
export function vlanTciRaw(frame: Uint8Array, off = 0): number {
  return readU16(frame, off + 14);
}

/** VID of a tagged frame (caller checked isVlanTagged). */
export function vlanVid(frame: Uint8Array, off = 0): number {
  return readU16(frame, off + 14) & 0x0fff;
}

/** EtherType carried inside the tag. */
export function vlanInnerType(frame: Uint8Array, off = 0): number {
  return readU16(frame, off + 16);
}

export function setVlanVid(frame: Uint8Array, off: number, vid: number): void {
  writeU16(frame, off + 14, (readU16(frame, off + 14) & 0xf000) | (vid & 0x0fff));
}

export const encodeTci = (tci: VlanTci): number =>
  ((tci.pcp & 7) << 13) | (tci.dei ? 0x1000 : 0) | (tci.vid & 0xfff);
export const decodeTci = (raw: number): VlanTci => ({
  pcp: raw >>> 13,
  dei: (raw & 0x1000) !== 0,
  vid: raw & 0xfff,
});

export interface VlanRepr extends VlanTci {
  /** EtherType of the payload after the tag. */
  innerType: number;
}

export function parseVlan(frame: Uint8Array, off = 0): ParseResult<VlanRepr> {
  if (frame.length - off < ETH_HEADER_LEN + VLAN_TAG_LEN) return fail('truncated');
  if (readU16(frame, off + 12) !== ETHERTYPE_VLAN) return fail('unsupported');
  return ok({ ...decodeTci(readU16(frame, off + 14)), innerType: readU16(frame, off + 16) });
}

/** A new frame with an 802.1Q tag inserted after the MACs (the frame's EtherType moves inside the tag). */
export function pushVlan(frame: Uint8Array, tci: VlanTci | number): Uint8Array {
  const out = allocFrame(frame.length + VLAN_TAG_LEN);
  out.set(frame.subarray(0, 12), 0);
  writeU16(out, 12, ETHERTYPE_VLAN);
  writeU16(out, 14, typeof tci === 'number' ? tci & 0xffff : encodeTci(tci));
  out.set(frame.subarray(12), 16);
  return out;
}

/** A new frame without the outer 802.1Q tag; an untagged frame is returned as is. */
export function popVlan(frame: Uint8Array): Uint8Array {
  if (!isVlanTagged(frame)) return frame;
  const out = allocFrame(frame.length - VLAN_TAG_LEN);
  out.set(frame.subarray(0, 12), 0);
  out.set(frame.subarray(16), 12);
  return out;
}
