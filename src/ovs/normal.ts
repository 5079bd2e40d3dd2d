// The NORMAL action: OVS's built-in VLAN-aware MAC-learning switch (xlate_normal in
// ofproto-dpif-xlate.c). The input VLAN comes from the port's role: an access port (Port.tag)
// puts its frames in its VLAN and refuses tagged frames; a trunk takes the frame's VLAN if it
// carries it. The source MAC is learned per VLAN; a known destination goes to its port (never
// back out of the input port), an unknown or multicast one floods to every other port in the
// VLAN. On output an access port gets the frame untagged, a trunk tagged with the VLAN.

import type { DpPort } from './dp-port.js';
import { K } from './flow-fields.js';
import { VLAN_CFI } from './flow-match.js';
import type { Xlate } from './xlate.js';

const mac48 = (hi: number, lo: number): number => (hi & 0xffff) * 0x100000000 + (lo >>> 0);

export function xlateNormal(xl: Xlate): void {
  const dp = xl.dp;
  const key = xl.key;
  const inPort = dp.port(key[K.IN_PORT]);
  if (inPort === undefined) {
    if (xl.trace !== null) dp.traceNormal(xl.trace, 'no input port: drop');
    return;
  }
  const tci = key[K.VLAN_TCI];
  const vid = tci & VLAN_CFI ? tci & 0x0fff : 0;
  let vlan: number;
  if (inPort.tag >= 0) {
    if (vid !== 0) {
      if (xl.trace !== null)
        dp.traceNormal(
          xl.trace,
          `dropping VLAN ${vid} tagged packet received on port ${inPort.name} configured as VLAN ${inPort.tag} access port`,
        );
      return;
    }
    vlan = inPort.tag;
  } else {
    if (!inPort.includesVlan(vid)) {
      if (xl.trace !== null)
        dp.traceNormal(
          xl.trace,
          `dropping VLAN ${vid} packet received on port ${inPort.name} not configured for trunking VLAN ${vid}`,
        );
      return;
    }
    vlan = vid;
  }
  const srcHi = key[K.DL_SRC_HI];
  // Multicast source addresses are never learned (I/G bit, bit 0 of the first byte).
  if ((srcHi & 0x0100) === 0) {
    const moved = dp.macs.learn(vlan, mac48(srcHi, key[K.DL_SRC_LO]), inPort.ofport);
    if (moved && xl.trace !== null)
      dp.traceNormal(
        xl.trace,
        `learned ${dp.macText(srcHi, key[K.DL_SRC_LO])} on port ${inPort.name} in VLAN ${vlan}`,
      );
  }
  const dstHi = key[K.DL_DST_HI];
  if ((dstHi & 0x0100) === 0) {
    const p = dp.macs.lookup(vlan, mac48(dstHi, key[K.DL_DST_LO]));
    if (p >= 0) {
      const out = dp.port(p);
      if (out !== undefined) {
        if (out === inPort) {
          if (xl.trace !== null) dp.traceNormal(xl.trace, 'learned port is input port, dropping');
          return;
        }
        if (xl.trace !== null)
          dp.traceNormal(xl.trace, `forwarding to learned port ${out.name} (VLAN ${vlan})`);
        outputNormal(xl, out, vlan);
        return;
      }
    }
  }
  if (xl.trace !== null) dp.traceNormal(xl.trace, `no learned MAC for destination, flooding VLAN ${vlan}`);
  const ports = dp.portList;
  for (let i = 0; i < ports.length; i++) {
    const p = ports[i];
    if (p !== inPort && !p.noFlood && p.includesVlan(vlan)) outputNormal(xl, p, vlan);
  }
}

/** output_normal(): the frame leaves with the tag the port's role calls for. */
function outputNormal(xl: Xlate, port: DpPort, vlan: number): void {
  const key = xl.key;
  const saved = key[K.VLAN_TCI];
  const vid = port.tag >= 0 ? 0 : vlan;
  key[K.VLAN_TCI] = vid === 0 ? 0 : VLAN_CFI | vid | (saved & VLAN_CFI ? saved & 0xe000 : 0);
  xl.dp.sendTo(xl, port);
  key[K.VLAN_TCI] = saved;
}
