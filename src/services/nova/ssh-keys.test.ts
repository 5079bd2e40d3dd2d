// Key pair material against Debian's ssh-keygen: the fingerprints must be the ones it prints.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isServiceError } from '../errors.js';
import { fingerprintOfPublicKey, generateRsaKey } from './ssh-keys.js';

const dir = mkdtempSync(join(tmpdir(), 'nova-keys-'));
const md5Of = (file: string) => {
  const out = execFileSync('ssh-keygen', ['-l', '-E', 'md5', '-f', file], { encoding: 'utf8' });
  return /MD5:([0-9a-f:]+)/.exec(out)?.[1];
};

describe('nova key pairs', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('generates an RSA 2048 PKCS#1 key whose public half and MD5 fingerprint ssh-keygen agrees with', () => {
    const k = generateRsaKey();
    assert.match(k.privateKey, /^-----BEGIN RSA PRIVATE KEY-----\n/);
    const file = join(dir, 'gen.pem');
    writeFileSync(file, k.privateKey, { mode: 0o600 });
    const pub = execFileSync('ssh-keygen', ['-y', '-f', file], { encoding: 'utf8' }).trim();
    assert.equal(pub, k.publicKey.replace(/ Generated-by-Nova$/, ''));
    assert.equal(md5Of(file), k.fingerprint);
    assert.match(execFileSync('ssh-keygen', ['-l', '-f', file], { encoding: 'utf8' }), /^2048 .*\(RSA\)/);
  });

  for (const [type, bits] of [
    ['ed25519', []],
    ['ecdsa', ['-b', '256']],
    ['ecdsa', ['-b', '521']],
    ['rsa', ['-b', '3072']],
  ] as const)
    it(`imports an ssh-keygen ${type} ${bits.join(' ')} public key with ssh-keygen's fingerprint`, () => {
      const file = join(dir, `id_${type}${bits.join('')}`);
      execFileSync('ssh-keygen', ['-q', '-t', type, ...bits, '-N', '', '-C', 'me@host', '-f', file]);
      const pub = readFileSync(`${file}.pub`, 'utf8');
      assert.equal(fingerprintOfPublicKey(pub), md5Of(`${file}.pub`));
    });

  it('refuses what is not an OpenSSH public key with Nova’s 400', () => {
    for (const bad of [
      '',
      'ssh-rsa',
      'ssh-what negative',
      'ssh-rsa AAAA',
      'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA==',
    ]) {
      assert.throws(
        () => fingerprintOfPublicKey(bad),
        (e) =>
          isServiceError(e) &&
          e.status === 400 &&
          e.message === 'Keypair data is invalid: failed to generate fingerprint',
      );
    }
  });
});
