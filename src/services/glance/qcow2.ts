// The qcow2 header (QEMU's docs/interop/qcow2.txt): read to find an image's virtual size and
// refuse unsafe files, as Glance's format inspector does, and written by
// `pocketstack image make-cirros` to make an empty image qemu-img accepts.

export const QCOW2_MAGIC = 0x514649fb; // 'QFI\xfb'

export interface Qcow2Header {
  version: number;
  backingFileOffset: bigint;
  clusterBits: number;
  size: bigint;
  cryptMethod: number;
  l1Size: number;
  l1TableOffset: bigint;
  refcountTableOffset: bigint;
  refcountTableClusters: number;
  nbSnapshots: number;
  incompatibleFeatures: bigint;
  headerLength: number;
}

/** Bytes of header needed to decide: v3 headers are 104 bytes and more. */
export const QCOW2_HEADER_PEEK = 112;

/** The header, or null when the bytes do not start like a qcow2 file. */
export function parseQcow2Header(b: Uint8Array): Qcow2Header | null {
  if (b.length < 72) return null;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (dv.getUint32(0) !== QCOW2_MAGIC) return null;
  const version = dv.getUint32(4);
  if (version !== 2 && version !== 3) return null;
  const v3 = version === 3 && b.length >= 104;
  return {
    version,
    backingFileOffset: dv.getBigUint64(8),
    clusterBits: dv.getUint32(20),
    size: dv.getBigUint64(24),
    cryptMethod: dv.getUint32(32),
    l1Size: dv.getUint32(36),
    l1TableOffset: dv.getBigUint64(40),
    refcountTableOffset: dv.getBigUint64(48),
    refcountTableClusters: dv.getUint32(56),
    nbSnapshots: dv.getUint32(60),
    incompatibleFeatures: v3 ? dv.getBigUint64(72) : 0n,
    headerLength: v3 ? dv.getUint32(100) : 72,
  };
}

/** Incompatible feature bit 2: the guest data lives in an external file (CVE-2024-32498). */
const QCOW2_INCOMPAT_DATA_FILE = 1n << 2n;

/** Why Glance's inspector would refuse this header (its safety checks), or null. */
export function qcow2SafetyProblem(h: Qcow2Header): string | null {
  if (h.backingFileOffset !== 0n) return 'qcow2 image has a backing file';
  if (h.incompatibleFeatures & QCOW2_INCOMPAT_DATA_FILE) return 'qcow2 image has a data file';
  if (h.clusterBits < 9 || h.clusterBits > 21) return 'qcow2 image has an invalid cluster size';
  return null;
}

/**
 * A sparse qcow2 (version 2, "compat 0.10", 64 KiB clusters) of the given virtual size, laid
 * out as `qemu-img create -f qcow2` does: header in cluster 0, refcount table in 1, refcount
 * block in 2, L1 table at cluster 3 (the file ends with the table, not padded). No data clusters.
 */
export function buildSparseQcow2(virtualSize: number): Uint8Array {
  const clusterBits = 16;
  const cluster = 1 << clusterBits;
  const l2Entries = cluster / 8;
  const l1Size = Math.max(1, Math.ceil(virtualSize / (cluster * l2Entries)));
  const l1Offset = 3 * cluster;
  const fileLength = l1Offset + l1Size * 8;
  const clustersUsed = Math.ceil(fileLength / cluster);
  // One refcount block of 16-bit entries covers 32768 clusters: plenty for an empty image.
  if (clustersUsed > cluster / 2) throw new Error('virtual size too large for one refcount block');
  const b = new Uint8Array(fileLength);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, QCOW2_MAGIC);
  dv.setUint32(4, 2);
  dv.setBigUint64(8, 0n); // no backing file
  dv.setUint32(16, 0);
  dv.setUint32(20, clusterBits);
  dv.setBigUint64(24, BigInt(virtualSize));
  dv.setUint32(32, 0); // not encrypted
  dv.setUint32(36, l1Size);
  dv.setBigUint64(40, BigInt(l1Offset));
  dv.setBigUint64(48, BigInt(cluster)); // refcount table
  dv.setUint32(56, 1);
  dv.setUint32(60, 0); // snapshots
  dv.setBigUint64(64, 0n);
  // Bytes 72.. stay zero: an end-of-extensions marker. The refcount table's one entry points at
  // the refcount block, which counts one reference for each cluster the metadata occupies.
  dv.setBigUint64(cluster, BigInt(2 * cluster));
  for (let i = 0; i < clustersUsed; i++) dv.setUint16(2 * cluster + 2 * i, 1);
  return b;
}
