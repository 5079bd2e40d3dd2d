// The seed's walkthrough (../shared/seed/WALKTHROUGH.md), step by step, with the real `glance`,
// `nova` and `openstack` clients for the API and `pocketstack host exec` / `vm exec` for the rest,
// asserting what the seed observed: the image, vxlan10 with its default gateway, a key pair, vm1
// and vm2 pinging each other, one qbr/qvb/qvo/tap set per instance named from its port id, equal
// qvo tags on one network and another tag on vxlan11, no route between the networks until
// router10_11 (external IP in 172.24.4.0/24) joins them, then replies with ttl=63; finally the
// tear-down of section 6 leaves every host as fresh. (The `--host-ram 6G` over-commit of section 4
// is tests/e2e/nova-host-ram.test.ts.) seed.test.ts runs it on the all-in-one host,
// seed-multinode.test.ts on `--layout multinode --computes 2` (the guests on the compute hosts,
// the namespaces on the controller) where the underlay also shows the network's VNI.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { LayoutOptions } from '../../src/sim/layout.js';
import {
  type Booted,
  bootServers,
  eventually,
  hostExec,
  leaseLine,
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

export interface SeedLayout {
  layout?: LayoutOptions;
  /** The host of the namespaces (the network role). */
  networkHost: string;
  /** Where vm1, vm2, vm3 go (admin's `--availability-zone nova:HOST`), if placed. */
  placement?: Record<string, string>;
  /** More checks once vm1 and vm2 ping (the multinode underlay). */
  afterSameNetworkPing?: (cloud: TestCloud, vm: Record<string, Booted>) => Promise<void>;
}

export function describeSeedWalkthrough(title: string, o: SeedLayout): void {
  describe(title, () => seedWalkthrough(o));
}

function seedWalkthrough(o: SeedLayout): void {
  let cloud: TestCloud;
  const vm: Record<string, Booted> = {};
  let hosts: string[] = [];
  let fresh: HostState[];
  const exec = (...argv: string[]) => hostExec(cloud, o.networkHost, ...argv);
  const on =
    (host: string) =>
    (...argv: string[]) =>
      hostExec(cloud, host, ...argv);
  const hostState = (host: string): Promise<HostState> =>
    Promise.all([
      on(host)('ovs-ofctl', 'dump-flows', 'br-int'),
      on(host)('ovs-ofctl', 'dump-flows', 'br-tun'),
      on(host)('ip', 'netns'),
      on(host)('brctl', 'show'),
    ]).then(([int, tun, netns, brctl]) => ({ flows: flowShape(int + tun), netns, brctl }));
  const everyHost = () => Promise.all(hosts.map(hostState));
  const ping = async (from: string, to: string) => (await vmExec(cloud, from, 'ping', '-c', '3', to)).stdout;
  const boot = (servers: { name: string; network: string }[]) =>
    bootServers(
      cloud,
      servers.map((s) => ({ ...s, host: o.placement?.[s.name] })),
      { uploadImage: false },
    );

  before(async () => {
    cloud = await startTestCloud({ layout: o.layout });
    hosts = [...cloud.running.cloud.world.hosts.keys()];
    fresh = await everyHost();
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
    // Only the network so far: no Linux bridge on any host.
    assert.deepEqual(
      (await everyHost()).map((h) => h.brctl),
      fresh.map((h) => h.brctl),
    );
    const key = await run('nova', ['keypair-add', 'admin-key'], cloud.admin);
    assert.match(key.stdout, /^-----BEGIN RSA PRIVATE KEY-----\n/);
    assert.match(await os(cloud, ['keypair', 'list']), /\| admin-key \| ([0-9a-f]{2}:){15}[0-9a-f]{2} \|/);
    Object.assign(
      vm,
      await boot([
        { name: 'cirros-vm1', network: 'vxlan10' },
        { name: 'cirros-vm2', network: 'vxlan10' },
      ]),
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
    for (const n of ['cirros-vm1', 'cirros-vm2'])
      assert.equal(await leaseLine(cloud, n), `Lease of ${vm[n].ip} obtained, lease time 86400`);
    const out = await ping('cirros-vm1', vm['cirros-vm2'].ip);
    assert.match(out, /3 packets transmitted, 3 packets received, 0% packet loss/);
    await o.afterSameNetworkPing?.(cloud, vm);
  });

  it('6. one qbr/qvb/tap/qvo set per instance, named from its port id; equal tags on vxlan10', async () => {
    for (const n of ['cirros-vm1', 'cirros-vm2']) {
      const brctl = await on(vm[n].host)('brctl', 'show');
      const dev = vm[n].portId.slice(0, 11);
      assert.match(
        brctl,
        new RegExp(`^qbr${dev}\\s+8000\\.[0-9a-f]{12}\\s+no\\s+(qvb|tap)${dev}\\n\\s+(qvb|tap)${dev}$`, 'm'),
      );
    }
    assert.match(await on(vm['cirros-vm1'].host)('virsh', 'list'), /instance-[0-9a-f]{8} +running/);
    const show = await exec('ovs-vsctl', 'show');
    for (const br of ['br-ex', 'br-int', 'br-tun']) assert.match(show, new RegExp(`Bridge ${br}\\n`));
    const [t1, t2] = await Promise.all(
      ['cirros-vm1', 'cirros-vm2'].map((n) => qvoTag(cloud, vm[n].host, vm[n].portId)),
    );
    assert.equal(t1, t2);
  });

  it("7. Neutron's flow tables on br-int/br-tun and the hybrid firewall's chains per port", async () => {
    const host = on(vm['cirros-vm1'].host);
    const int = await host('ovs-ofctl', 'dump-flows', 'br-int');
    for (const t of [0, 23, 24, 60]) assert.match(int, new RegExp(`table=${t}, `), `br-int table ${t}`);
    const ip1 = vm['cirros-vm1'].ip.replace(/\./g, '\\.');
    assert.match(int, new RegExp(`table=24, .*arp_spa=${ip1} actions=resubmit\\(,25\\)`));
    const tun = await host('ovs-ofctl', 'dump-flows', 'br-tun');
    for (const t of [0, 2, 3, 4, 6, 10, 20, 22])
      assert.match(tun, new RegExp(`table=${t}, `), `br-tun table ${t}`);
    const vni = (await osJson(cloud, ['network', 'show', 'vxlan10']))['provider:segmentation_id'] as number;
    const tag = await qvoTag(cloud, vm['cirros-vm1'].host, vm['cirros-vm1'].portId);
    assert.match(
      tun,
      new RegExp(`table=4, .*tun_id=0x${vni.toString(16)} actions=mod_vlan_vid:${tag},resubmit\\(,10\\)`),
    );
    const rules = await host('iptables', '-S');
    const chain = vm['cirros-vm1'].portId.slice(0, 10);
    for (const c of ['i', 'o', 's'])
      assert.match(rules, new RegExp(`^-N neutron-openvswi-${c}${chain}$`, 'm'));
    assert.match(
      rules,
      new RegExp(`--physdev-in tap${vm['cirros-vm1'].portId.slice(0, 11)} --physdev-is-bridged`),
    );
    assert.match(rules, /^-N neutron-openvswi-sg-fallback$/m);
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
    Object.assign(vm, await boot([{ name: 'cirros-vm3', network: 'vxlan11' }]));
    assert.notEqual(
      await qvoTag(cloud, vm['cirros-vm3'].host, vm['cirros-vm3'].portId),
      await qvoTag(cloud, vm['cirros-vm1'].host, vm['cirros-vm1'].portId),
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
    // traceroute -n: the router's qr- address on vxlan10 first, then vm3 (BusyBox prints its
    // header on stderr, as the real one does).
    const trace = await vmExec(cloud, 'cirros-vm1', 'traceroute', '-n', vm['cirros-vm3'].ip);
    assert.equal(trace.code, 0, trace.stderr);
    assert.match(trace.stderr, new RegExp(`^traceroute to ${vm['cirros-vm3'].ip.replace(/\./g, '\\.')} `));
    assert.match(trace.stdout, /^ 1 {2}172\.16\.10\.1 {2}\d+\.\d+ ms/m);
    assert.match(trace.stdout, new RegExp(`^ 2 {2}${vm['cirros-vm3'].ip.replace(/\./g, '\\.')} {2}\\d`, 'm'));
    const netns = await exec('ip', 'netns');
    assert.match(netns, new RegExp(`^qrouter-${router.id} `, 'm'));
    assert.equal(netns.match(/^qdhcp-/gm)?.length, 2);
  });

  it('6. the tear-down leaves every host as fresh: no qbr, no namespace, the base flows only', async () => {
    await os(cloud, ['server', 'delete', '--wait', 'cirros-vm1', 'cirros-vm2', 'cirros-vm3']);
    await os(cloud, ['router', 'remove', 'subnet', 'router10_11', 'subnet172_16_10_0']);
    await os(cloud, ['router', 'remove', 'subnet', 'router10_11', 'subnet172_16_11_0']);
    await os(cloud, ['router', 'delete', 'router10_11']);
    await os(cloud, ['network', 'delete', 'vxlan10', 'vxlan11']);
    const state = await eventually('every host back to fresh', async () => {
      const s = await everyHost();
      return JSON.stringify(s) === JSON.stringify(fresh) ? s : undefined;
    }).catch(async () => everyHost());
    assert.deepEqual(state, fresh);
  });
}

interface HostState {
  flows: string[];
  netns: string;
  brctl: string;
}
