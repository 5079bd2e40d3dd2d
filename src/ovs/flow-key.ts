// flow_extract(): reads the fields a match can test from a frame's bytes into a flow key
// (flow-fields.ts layout), once per frame per bridge pass, without allocating. Also records
// where the L3 header starts so that output can rebuild the frame from the (possibly modified)
// key, as OVS commits set_field/vlan actions when it outputs.

import { K, KEY_WORDS } from './flow-fields.js';
import { ETH_TYPE_ARP, ETH_TYPE_IP, ETH_TYPE_IPV6, IPPROTO_ICMPV6, VLAN_CFI } from './flow-match.js';

/** Where things are in the frame a key was extracted from. */
export interface FrameLayout {
  /** Offset of the L3 header (14, or 18 behind one 802.1Q tag). */
  l3: number;
  /** Offset of the L4 header (-1 when none was parsed). */
  l4: number;
}

export function newKey(): Int32Array {
  return new Int32Array(KEY_WORDS);
}

/** Fills `key` from `frame` (in_port and metadata/registers/tunnel words set to the given values by the caller). */
export function extractKey(frame: Uint8Array, key: Int32Array, layout: FrameLayout): void {
  key.fill(0);
  layout.l3 = 14;
  layout.l4 = -1;
  const len = frame.length;
  if (len < 14) return;
  key[K.DL_DST_HI] = (frame[0] << 8) | frame[1];
  key[K.DL_DST_LO] = (frame[2] << 24) | (frame[3] << 16) | (frame[4] << 8) | frame[5];
  key[K.DL_SRC_HI] = (frame[6] << 8) | frame[7];
  key[K.DL_SRC_LO] = (frame[8] << 24) | (frame[9] << 16) | (frame[10] << 8) | frame[11];
  let type = (frame[12] << 8) | frame[13];
  let off = 14;
  if ((type === 0x8100 || type === 0x88a8) && len >= 18) {
    key[K.VLAN_TCI] = (frame[14] << 8) | frame[15] | VLAN_CFI;
    type = (frame[16] << 8) | frame[17];
    off = 18;
  }
  key[K.DL_TYPE] = type;
  layout.l3 = off;
  if (type === ETH_TYPE_IP) {
    if (len < off + 20) return;
    const ihl = (frame[off] & 0x0f) * 4;
    key[K.NW_TOS] = frame[off + 1];
    key[K.NW_TTL] = frame[off + 8];
    const proto = frame[off + 9];
    key[K.NW_PROTO] = proto;
    key[K.NW_SRC] =
      (frame[off + 12] << 24) | (frame[off + 13] << 16) | (frame[off + 14] << 8) | frame[off + 15];
    key[K.NW_DST] =
      (frame[off + 16] << 24) | (frame[off + 17] << 16) | (frame[off + 18] << 8) | frame[off + 19];
    // Later fragments carry no L4 header.
    const fragOff = ((frame[off + 6] & 0x1f) << 8) | frame[off + 7];
    const l4 = off + ihl;
    if (fragOff !== 0 || len < l4 + 4) return;
    layout.l4 = l4;
    if (proto === 1) {
      key[K.TP_SRC] = frame[l4];
      key[K.TP_DST] = frame[l4 + 1];
    } else if (proto === 6 || proto === 17 || proto === 132) {
      key[K.TP_SRC] = (frame[l4] << 8) | frame[l4 + 1];
      key[K.TP_DST] = (frame[l4 + 2] << 8) | frame[l4 + 3];
    }
  } else if (type === ETH_TYPE_ARP) {
    if (len < off + 28) return;
    // Only Ethernet/IPv4 ARP fills the ARP fields (flow.c: htype 1, ptype 0x0800, lengths 6/4).
    if (frame[off + 4] !== 6 || frame[off + 5] !== 4) return;
    key[K.NW_PROTO] = frame[off + 7] | (frame[off + 6] << 8);
    key[K.ARP_SHA_HI] = (frame[off + 8] << 8) | frame[off + 9];
    key[K.ARP_SHA_LO] =
      (frame[off + 10] << 24) | (frame[off + 11] << 16) | (frame[off + 12] << 8) | frame[off + 13];
    key[K.NW_SRC] =
      (frame[off + 14] << 24) | (frame[off + 15] << 16) | (frame[off + 16] << 8) | frame[off + 17];
    key[K.ARP_THA_HI] = (frame[off + 18] << 8) | frame[off + 19];
    key[K.ARP_THA_LO] =
      (frame[off + 20] << 24) | (frame[off + 21] << 16) | (frame[off + 22] << 8) | frame[off + 23];
    key[K.NW_DST] =
      (frame[off + 24] << 24) | (frame[off + 25] << 16) | (frame[off + 26] << 8) | frame[off + 27];
  } else if (type === ETH_TYPE_IPV6) {
    if (len < off + 40) return;
    key[K.NW_TOS] = ((frame[off] & 0x0f) << 4) | (frame[off + 1] >>> 4);
    const next = frame[off + 6];
    key[K.NW_PROTO] = next;
    key[K.NW_TTL] = frame[off + 7];
    for (let i = 0; i < 4; i++) {
      const s = off + 8 + 4 * (3 - i);
      key[36 + i] = (frame[s] << 24) | (frame[s + 1] << 16) | (frame[s + 2] << 8) | frame[s + 3];
      const d = off + 24 + 4 * (3 - i);
      key[40 + i] = (frame[d] << 24) | (frame[d + 1] << 16) | (frame[d + 2] << 8) | frame[d + 3];
    }
    const l4 = off + 40;
    if (len < l4 + 4) return;
    layout.l4 = l4;
    if (next === IPPROTO_ICMPV6) {
      const t = frame[l4];
      key[K.TP_SRC] = t;
      key[K.TP_DST] = frame[l4 + 1];
      // Neighbor solicitation / advertisement: the target address (nd_target).
      if ((t === 135 || t === 136) && len >= l4 + 24) {
        for (let i = 0; i < 4; i++) {
          const s = l4 + 8 + 4 * (3 - i);
          key[K.ND_TARGET + i] = (frame[s] << 24) | (frame[s + 1] << 16) | (frame[s + 2] << 8) | frame[s + 3];
        }
      }
    } else if (next === 6 || next === 17) {
      key[K.TP_SRC] = (frame[l4] << 8) | frame[l4 + 1];
      key[K.TP_DST] = (frame[l4 + 2] << 8) | frame[l4 + 3];
    }
  }
}
