// Seeded randomness for the simulation: sfc32 (Chris Doty-Humphrey's Small Fast Counter, as in
// PractRand), seeded through splitmix32 so that nearby seeds give unrelated streams. Same seed,
// same sequence, on every platform (only 32-bit integer arithmetic).

export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    // discard the first outputs, as the reference implementation recommends
    for (let i = 0; i < 12; i++) this.u32();
  }

  /** Next 32-bit unsigned integer. */
  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform float in [0, 1). */
  random(): number {
    return this.u32() / 4294967296;
  }

  /** Uniform integer in [0, n) for n ≤ 2^32. */
  int(n: number): number {
    return Math.floor(this.random() * n);
  }

  /** Fills `out` with random bytes. */
  bytes(out: Uint8Array): Uint8Array {
    for (let i = 0; i < out.length; i += 4) {
      const v = this.u32();
      out[i] = v & 0xff;
      if (i + 1 < out.length) out[i + 1] = (v >>> 8) & 0xff;
      if (i + 2 < out.length) out[i + 2] = (v >>> 16) & 0xff;
      if (i + 3 < out.length) out[i + 3] = v >>> 24;
    }
    return out;
  }

  /**
   * A random locally administered unicast MAC, as the kernel's `eth_random_addr` makes for veth,
   * bridge and tap devices created without an address (first byte has bit 0x02 set, bit 0x01 clear).
   */
  mac(): Uint8Array {
    const m = this.bytes(new Uint8Array(6));
    m[0] = (m[0] & 0xfe) | 0x02;
    return m;
  }
}
