// Key pair material as Nova handles it (nova/crypto.py): generated keys are RSA 2048 with the
// private key in PKCS#1 PEM (`-----BEGIN RSA PRIVATE KEY-----`) and the public key in OpenSSH
// form with the comment `Generated-by-Nova`; imported keys are OpenSSH public keys (RSA, DSA,
// ECDSA, Ed25519). The fingerprint is the MD5 of the key blob in colon form, which is what
// `ssh-keygen -l -E md5` prints after `MD5:`.
import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { badRequest } from '../errors.js';

const sshString = (b: Buffer) => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length);
  return Buffer.concat([len, b]);
};
/** An SSH mpint: big-endian, with a zero byte in front when the top bit is set. */
const mpint = (b: Buffer) => {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  const v = b.subarray(i);
  return sshString(v[0] & 0x80 ? Buffer.concat([Buffer.from([0]), v]) : v);
};

export function md5Fingerprint(blob: Buffer): string {
  return createHash('md5')
    .update(blob)
    .digest('hex')
    .replace(/(..)(?!$)/g, '$1:');
}

export interface GeneratedKey {
  publicKey: string;
  privateKey: string;
  fingerprint: string;
}

export function generateRsaKey(): GeneratedKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicExponent: 65537,
  });
  const jwk = publicKey.export({ format: 'jwk' });
  const blob = Buffer.concat([
    sshString(Buffer.from('ssh-rsa')),
    mpint(Buffer.from(jwk.e as string, 'base64url')),
    mpint(Buffer.from(jwk.n as string, 'base64url')),
  ]);
  return {
    publicKey: `ssh-rsa ${blob.toString('base64')} Generated-by-Nova`,
    privateKey: privateKey.export({ type: 'pkcs1', format: 'pem' }) as string,
    fingerprint: md5Fingerprint(blob),
  };
}

const keyTypes = new Set([
  'ssh-rsa',
  'ssh-dss',
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
]);
const curveOf: Record<string, string> = {
  'ecdsa-sha2-nistp256': 'nistp256',
  'ecdsa-sha2-nistp384': 'nistp384',
  'ecdsa-sha2-nistp521': 'nistp521',
};

/** Splits an SSH wire blob into its length-prefixed fields; null when it does not parse. */
function fields(blob: Buffer): Buffer[] | null {
  const out: Buffer[] = [];
  let off = 0;
  while (off < blob.length) {
    if (off + 4 > blob.length) return null;
    const n = blob.readUInt32BE(off);
    off += 4;
    if (off + n > blob.length) return null;
    out.push(blob.subarray(off, off + n));
    off += n;
  }
  return out;
}

/** Checks the key the way `load_ssh_public_key` would, so garbage never gets a fingerprint. */
function validBlob(type: string, f: Buffer[]): boolean {
  if (f[0].toString() !== type) return false;
  switch (type) {
    case 'ssh-rsa': {
      if (f.length !== 3) return false;
      try {
        const n = f[2][0] === 0 ? f[2].subarray(1) : f[2];
        const e = f[1][0] === 0 ? f[1].subarray(1) : f[1];
        createPublicKey({
          key: { kty: 'RSA', n: n.toString('base64url'), e: e.toString('base64url') },
          format: 'jwk',
        });
        return n.length >= 64;
      } catch {
        return false;
      }
    }
    case 'ssh-ed25519':
      return f.length === 2 && f[1].length === 32;
    case 'ssh-dss':
      return f.length === 5;
    default:
      return f.length === 3 && f[1].toString() === curveOf[type] && f[2].length > 0 && f[2][0] === 4;
  }
}

/** An imported OpenSSH public key's fingerprint; Nova's 400 for anything else. */
export function fingerprintOfPublicKey(text: string): string {
  const invalid = () => badRequest('Keypair data is invalid: failed to generate fingerprint');
  const parts = text.trim().split(/\s+/);
  if (parts.length < 2 || !keyTypes.has(parts[0]) || !/^[A-Za-z0-9+/]+={0,2}$/.test(parts[1]))
    throw invalid();
  const blob = Buffer.from(parts[1], 'base64');
  const f = fields(blob);
  if (!f || f.length === 0 || !validBlob(parts[0], f)) throw invalid();
  return md5Fingerprint(blob);
}
