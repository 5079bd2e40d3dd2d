// Fernet tokens (the spec Keystone's tokens follow): base64url(0x80 | timestamp | IV |
// AES-128-CBC(payload) | HMAC-SHA256). Tokens carry their own meaning, so they survive a
// restart without a token table, exactly like Keystone's; revocation is by events.
import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export class FernetKey {
  private constructor(
    private readonly signing: Buffer,
    private readonly encryption: Buffer,
  ) {}

  static generate(): string {
    return randomBytes(32).toString('base64url');
  }

  static from(encoded: string): FernetKey {
    const raw = Buffer.from(encoded, 'base64url');
    if (raw.length !== 32) throw new Error('fernet key must be 32 bytes');
    return new FernetKey(raw.subarray(0, 16), raw.subarray(16));
  }

  encrypt(payload: Buffer, nowSeconds: number): string {
    const iv = randomBytes(16);
    const header = Buffer.alloc(9);
    header[0] = 0x80;
    header.writeBigUInt64BE(BigInt(Math.floor(nowSeconds)), 1);
    const cipher = createCipheriv('aes-128-cbc', this.encryption, iv);
    const body = Buffer.concat([header, iv, cipher.update(payload), cipher.final()]);
    const mac = createHmac('sha256', this.signing).update(body).digest();
    return Buffer.concat([body, mac]).toString('base64url');
  }

  /** The payload, or undefined when the token is not one of ours (Keystone: "Could not recognize Fernet token"). */
  decrypt(token: string): Buffer | undefined {
    if (!/^[A-Za-z0-9_-]+={0,2}$/.test(token)) return undefined;
    const raw = Buffer.from(token, 'base64url');
    if (raw.length < 9 + 16 + 16 + 32 || raw[0] !== 0x80) return undefined;
    const body = raw.subarray(0, raw.length - 32);
    const mac = raw.subarray(raw.length - 32);
    const expected = createHmac('sha256', this.signing).update(body).digest();
    if (!timingSafeEqual(mac, expected)) return undefined;
    try {
      const decipher = createDecipheriv('aes-128-cbc', this.encryption, body.subarray(9, 25));
      return Buffer.concat([decipher.update(body.subarray(25)), decipher.final()]);
    } catch {
      return undefined;
    }
  }
}
