// The seed's walkthrough (../shared/seed/WALKTHROUGH.md), step by step, with the real `glance`,
// `nova` and `openstack` clients for the API and `pocketstack host exec` / `vm exec` for the rest,
// asserting what the seed observed: the image, vxlan10 with its default gateway, a key pair, vm1
// and vm2 pinging each other, one qbr/qvb/qvo/tap set per instance named from its port id, equal
// qvo tags on one network and another tag on vxlan11, no route between the networks until
// router10_11 (external IP in 172.24.4.0/24) joins them, then replies with ttl=63; finally the
// tear-down of section 6 leaves the host as fresh. (The `--host-ram 6G` over-commit of section 4
// is tests/e2e/nova-host-ram.test.ts.)
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  type Booted,
  bootServers,
  eventually,
  hostExec,
  os,
  osJson,
  qvoTag,
  vmExec,
} from './dataplane-fixtures.js';
import { repoRoot, run, startTestCloud, type TestCloud } from './harness.js';

/** Flow tables without what changes from run to run (cookies, counters, ages, learned MACs). */
function flowShape(dump: string): string[] {
  return dump
    .split('\n')
    .filter((l) => l.includes('table=') && !l.includes('hard_timeout=300'))
    .map((l) =>
      l
        .replace(/cookie=0x[0-9a-f]+, /, '')
        .replace(/duration=[\d.]+s, /, '')
        .replace(/n_packets=\d+, n_bytes=\d+, /, '')
        .replace(/(idle|hard)_age=\d+, /g, '')
        .trim(),
    )
    .sort();
}

describe('the seed walkthrough', () => {
  let cloud: TestCloud;
  const vm: Record<string, Booted> = {};
  let fresh: { flows: string[]; netns: string; brctl: string };
  const exec = (...argv: string[]) => hostExec(cloud, 'localhost', ...argv);
  const hostState = async () => ({
    flows: flowShape(
      (await exec('ovs-ofctl', 'dump-flows', 'br-int')) + (await exec('ovs-ofctl', 'dump-flows', 'br-tun')),
    ),
    netns: await exec('ip', 'netns'),
    brctl: await exec('brctl', 'show'),
  });
  const ping = async (from: string, to: string) => (await vmExec(cloud, from, 'ping', '-c', '3', to)).stdout;

  before(async () => {
    cloud = await startTestCloud();
    fresh = await hostState();
  });
  after(async () => {
    await cloud?.stop();
  });

  it('2. uploads the CirrOS image with glance image-create', async () => {
    const file = join(cloud.dataDir, 'cirros-0.3.4-x86_64-disk.img');
    execFileSync(process.execPath, [join(repoRoot, 'bin/pocketstack'), 'image', 'make-cirros', file]);
    const r = await run(
      'glance',
      [
        ...['image-create', '--name', 'cirros-0.3.4-x86_64', '--disk-format', 'qcow2'],
        ...['--container-format', 'bare', '--file', file, '--visibility', 'public'],
      ],
      cloud.admin,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match((await run('glance', ['image-list'], cloud.admin)).stdout, /\| cirros-0\.3\.4-x86_64 \|/);
  });

  it('3–4. vxlan10 (gateway .1), a key pair, vm1 and vm2 pinging each other on one qvo tag', async () => {
    await os(cloud, ['network', 'create', 'vxlan10']);
    const sub = await osJson(cloud, [
      ...['subnet', 'create', '--network', 'vxlan10', '--subnet-range', '172.16.10.0/24'],
      'subnet172_16_10_0',
    ]);
    assert.equal(sub.gateway_ip, '172.16.10.1');
    // Only the network so far: no Linux bridge on the host.
    assert.equal(await exec('brctl', 'show'), fresh.brctl);
    const key = await run('nova', ['keypair-add', 'admin-key'], cloud.admin);
    assert.match(key.stdout, /^-----BEGIN RSA PRIVATE KEY-----\n/);
    assert.match(await os(cloud, ['keypair', 'list']), /\| admin-key \| ([0-9a-f]{2}:){15}[0-9a-f]{2} \|/);
    Object.assign(
      vm,
      await bootServers(
        cloud,
        [
          { name: 'cirros-vm1', network: 'vxlan10' },
          { name: 'cirros-vm2', network: 'vxlan10' },
        ],
        { uploadImage: false },
      ),
    );
    const list = (await run('nova', ['list'], cloud.admin)).stdout;
    assert.match(
      list,
      new RegExp(`\\| cirros-vm1 \\| ACTIVE .*\\| vxlan10=${vm['cirros-vm1'].ip.replace(/\./g, '\\.')} +\\|`),
    );
    assert.match(
      (await run('nova', ['get-vnc-console', 'cirros-vm1', 'novnc'], cloud.admin)).stdout,
      /\| novnc \| http:\/\/127\.0\.0\.1:\d+\/vnc_auto\.html\?/,
    );
    const out = await ping('cirros-vm1', vm['cirros-vm2'].ip);
    assert.match(out, /3 packets transmitted, 3 packets received, 0% packet loss/);
  });

  it('6. one qbr/qvb/tap/qvo set per instance, named from its port id; equal tags on vxlan10', async () => {
    const brctl = await exec('brctl', 'show');
    for (const n of ['cirros-vm1', 'cirros-vm2']) {
      const dev = vm[n].portId.slice(0, 11);
      assert.match(
        brctl,
        new RegExp(`^qbr${dev}\\s+8000\\.[0-9a-f]{12}\\s+no\\s+(qvb|tap)${dev}\\n\\s+(qvb|tap)${dev}$`, 'm'),
      );
    }
    assert.match(await exec('virsh', 'list'), /instance-[0-9a-f]{8} +running/);
    const show = await exec('ovs-vsctl', 'show');
    for (const br of ['br-ex', 'br-int', 'br-tun']) assert.match(show, new RegExp(`Bridge ${br}\\n`));
    const [t1, t2] = await Promise.all(
      ['cirros-vm1', 'cirros-vm2'].map((n) => qvoTag(cloud, 'localhost', vm[n].portId)),
    );
    assert.equal(t1, t2);
  });

  it('5. vm3 on vxlan11 is unreachable until router10_11 joins the subnets, then ttl=63', async () => {
    await os(cloud, ['network', 'create', 'vxlan11']);
    await os(cloud, [
      'subnet',
      'create',
      '--network',
      'vxlan11',
      '--subnet-range',
      '172.16.11.0/24',
      'subnet172_16_11_0',
    ]);
    Object.assign(
      vm,
      await bootServers(cloud, [{ name: 'cirros-vm3', network: 'vxlan11' }], { uploadImage: false }),
    );
    assert.notEqual(
      await qvoTag(cloud, 'localhost', vm['cirros-vm3'].portId),
      await qvoTag(cloud, 'localhost', vm['cirros-vm1'].portId),
    );
    assert.match(
      await ping('cirros-vm1', vm['cirros-vm3'].ip),
      /3 packets transmitted, 0 packets received, 100% packet loss/,
    );

    const router = await osJson(cloud, ['router', 'create', 'router10_11']);
    await os(cloud, ['router', 'set', '--external-gateway', 'public', 'router10_11']);
    await os(cloud, ['router', 'add', 'subnet', 'router10_11', 'subnet172_16_10_0']);
    await os(cloud, ['router', 'add', 'subnet', 'router10_11', 'subnet172_16_11_0']);
    const gw = (await osJson(cloud, ['router', 'show', 'router10_11'])).external_gateway_info;
    assert.match(gw.external_fixed_ips[0].ip_address, /^172\.24\.4\.\d+$/);
    const out = await eventually('vm1 → vm3 routed', async () => {
      const o = await ping('cirros-vm1', vm['cirros-vm3'].ip);
      return / 0% packet loss/.test(o) ? o : undefined;
    });
    assert.match(out, /seq=\d ttl=63 /);
    const netns = await exec('ip', 'netns');
    assert.match(netns, new RegExp(`^qrouter-${router.id} `, 'm'));
    assert.equal(netns.match(/^qdhcp-/gm)?.length, 2);
  });

  it('6. the tear-down leaves the host as fresh: no qbr, no namespace, the base flows only', async () => {
    await os(cloud, ['server', 'delete', '--wait', 'cirros-vm1', 'cirros-vm2', 'cirros-vm3']);
    await os(cloud, ['router', 'remove', 'subnet', 'router10_11', 'subnet172_16_10_0']);
    await os(cloud, ['router', 'remove', 'subnet', 'router10_11', 'subnet172_16_11_0']);
    await os(cloud, ['router', 'delete', 'router10_11']);
    await os(cloud, ['network', 'delete', 'vxlan10', 'vxlan11']);
    const state = await eventually('the host back to fresh', async () => {
      const s = await hostState();
      return s.netns === fresh.netns &&
        s.brctl === fresh.brctl &&
        s.flows.join('\n') === fresh.flows.join('\n')
        ? s
        : undefined;
    });
    assert.deepEqual(state, fresh);
  });
});
