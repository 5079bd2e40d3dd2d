// What the Nova scenarios share: a CirrOS-sized qcow2 in Glance, and `openstack server create
// … --wait` as a user types it.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliResult, TestCloud } from './harness.js';

/** Uploads a 40 MB (virtual) qcow2 as a public image; throws with the client's words on failure. */
export async function uploadImage(cloud: TestCloud, name = 'cirros-0.3.4-x86_64'): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'nova-img-'));
  try {
    const file = join(dir, 'disk.img');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', file, '40M']);
    const args = ['image', 'create', '--disk-format', 'qcow2', '--container-format', 'bare'];
    const r = await cloud.openstack([...args, '--file', file, '--public', name]);
    if (r.code !== 0) throw new Error(`image create failed: ${r.stderr}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface BootOptions {
  image?: string;
  flavor?: string;
  /** A network name; without one the server gets `--nic none` (which OSC sends at 2.37). */
  network?: string;
  keyName?: string;
  json?: boolean;
  env?: Record<string, string>;
}

export function bootServer(cloud: TestCloud, name: string, o: BootOptions = {}): Promise<CliResult> {
  const args = [
    ...(o.network ? [] : ['--os-compute-api-version', '2.37']),
    ...['server', 'create', '--image', o.image ?? 'cirros-0.3.4-x86_64', '--flavor', o.flavor ?? 'm1.tiny'],
    ...(o.network ? ['--network', o.network] : ['--nic', 'none']),
    ...(o.keyName ? ['--key-name', o.keyName] : []),
    ...[name, '--wait'],
    ...(o.json ? ['-f', 'json'] : []),
  ];
  return cloud.openstack(args, o.env);
}

/** The seed's network: `vxlan10` with `subnet172_16_10_0` (172.16.10.0/24, gateway .1). */
export async function seedNetwork(cloud: TestCloud): Promise<void> {
  for (const args of [
    ['network', 'create', 'vxlan10'],
    ['subnet', 'create', '--network', 'vxlan10', '--subnet-range', '172.16.10.0/24', 'subnet172_16_10_0'],
  ]) {
    const r = await cloud.openstack(args);
    if (r.code !== 0) throw new Error(`${args.slice(0, 2).join(' ')} failed: ${r.stderr}`);
  }
}
