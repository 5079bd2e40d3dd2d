// Password hashes: scrypt with a per-password salt, never the clear text. Verifying scrypt
// costs tens of milliseconds by design; a process-local memo of recent successful checks
// (keyed by the hash, holding only a keyed digest of the password) keeps repeated logins fast.
import { createHmac, randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';

const N = 16384;
const r = 8;
const p = 1;
const keyLength = 32;

function scrypt(password: string, salt: Buffer, n: number, rr: number, pp: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCb(password, salt, keyLength, { N: n, r: rr, p: pp, maxmem: 64 * 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, N, r, p);
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

const memoKey = randomBytes(32);
const verified = new Map<string, Buffer>();
const memoOf = (hash: string, password: string) =>
  createHmac('sha256', memoKey).update(hash).update(password).digest();

export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const memo = verified.get(hash);
  if (memo) return timingSafeEqual(memo, memoOf(hash, password));
  const [scheme, n, rr, pp, salt, key] = hash.split('$');
  if (scheme !== 'scrypt' || !key) return false;
  const expected = Buffer.from(key, 'base64');
  const actual = await scrypt(password, Buffer.from(salt, 'base64'), Number(n), Number(rr), Number(pp));
  const ok = actual.length === expected.length && timingSafeEqual(actual, expected);
  if (ok) {
    if (verified.size > 10_000) verified.clear();
    verified.set(hash, memoOf(hash, password));
  }
  return ok;
}
