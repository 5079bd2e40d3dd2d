// NXM subfields (`NXM_OF_VLAN_TCI[0..11]`, `NXM_NX_REG0[]`, `reg0[5]`) as load, move, output
// and learn name them (ovs-actions(7) "Field Specifications"), printed back with the NXM name
// as mf_format_subfield() does.

import { allOnes, type FieldDef, fieldByName, readField, writeField } from './flow-fields.js';

export interface Subfield {
  field: FieldDef;
  ofs: number;
  nbits: number;
}

/** Parses `NAME[]`, `NAME[n]`, `NAME[a..b]` (a bare NAME means the whole field). */
export function parseSubfield(text: string): Subfield | string {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:\[(?:(\d+)(?:\.\.(\d+))?)?\])?$/.exec(text.trim());
  if (!m) return `${text}: syntax error in field specification`;
  const field = fieldByName(m[1]);
  if (!field) return `${m[1]}: unknown field`;
  if (m[2] === undefined) return { field, ofs: 0, nbits: field.bits };
  const start = Number(m[2]);
  const end = m[3] === undefined ? start : Number(m[3]);
  if (end < start || end >= field.bits) return `${text}: bit range out of range for ${field.bits}-bit field`;
  return { field, ofs: start, nbits: end - start + 1 };
}

export function formatSubfield(sf: Subfield): string {
  const name = sf.field.nxm;
  if (sf.ofs === 0 && sf.nbits === sf.field.bits) return `${name}[]`;
  if (sf.nbits === 1) return `${name}[${sf.ofs}]`;
  return `${name}[${sf.ofs}..${sf.ofs + sf.nbits - 1}]`;
}

export const isWhole = (sf: Subfield): boolean => sf.ofs === 0 && sf.nbits === sf.field.bits;

/** Reads a subfield of a key as an unsigned bigint (general path; hot paths use word copies). */
export function readSubfield(key: Int32Array, sf: Subfield): bigint {
  return (readField(key, sf.field) >> BigInt(sf.ofs)) & allOnes(sf.nbits);
}

export function writeSubfield(key: Int32Array, sf: Subfield, value: bigint): void {
  const mask = allOnes(sf.nbits) << BigInt(sf.ofs);
  writeField(key, sf.field, (value << BigInt(sf.ofs)) & mask, mask);
}
