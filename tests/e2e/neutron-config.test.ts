// `pocketstack up --config-dir`: Neutron reads the given ml2_conf.ini and neutron.conf — a small
// VNI range, quotas — and refuses a bad value with file and line.
// Also the port-security, quota and QoS behaviours a user reaches with the real client.
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { up } from '../../src/cli/up.js';
import { shippedConfigDir } from '../../src/services/neutron/index.js';
import { startTestCloud, type TestCloud } from './harness.js';

/** A copy of the shipped etc/ (agents' files included) with our ml2_conf.ini and neutron.conf. */
function configDir(ml2: string, neutronConf = ''): string {
  const dir = mkdtempSync(join(tmpdir(), 'pocketstack-etc-'));
  cpSync(shippedConfigDir(), dir, { recursive: true });
  mkdirSync(join(dir, 'neutron/plugins/ml2'), { recursive: true });
  writeFileSync(join(dir, 'neutron/plugins/ml2/ml2_conf.ini'), ml2);
  writeFileSync(join(dir, 'neutron/neutron.conf'), neutronConf);
  return dir;
}

describe('neutron configuration from --config-dir', () => {
  let cloud: TestCloud;
  let dir: string;
  before(async () => {
    const seed = readFileSync(join(shippedConfigDir(), 'neutron/plugins/ml2/ml2_conf.ini'), 'utf8');
    dir = configDir(seed.replace('vni_ranges=10:100', 'vni_ranges=500:501'), '[quotas]\nquota_router = 1\n');
    cloud = await startTestCloud({ configDir: dir });
  });
  after(async () => {
    await cloud?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('allocates VNIs from the configured range and fails past it', async () => {
    const a = await cloud.openstack(['network', 'create', 'a', '-f', 'json']);
    const b = await cloud.openstack(['network', 'create', 'b', '-f', 'json']);
    const vnis = [a, b].map((r) => JSON.parse(r.stdout)['provider:segmentation_id']).sort();
    assert.deepEqual(vnis, [500, 501]);
    const c = await cloud.openstack(['network', 'create', 'c']);
    assert.match(
      c.stderr,
      /HttpException: 503, Unable to create the network\. No tenant network is available/,
    );
    // An admin's provider network does not need the tenant pool.
    const flat = await cloud.openstack([
      'network',
      'create',
      '--provider-network-type',
      'flat',
      '--provider-physical-network',
      'physnet2',
      'flat2',
      '-f',
      'json',
    ]);
    assert.equal(flat.code, 0, flat.stderr);
    assert.equal(JSON.parse(flat.stdout).mtu, 1500);
    const dup = await cloud.openstack([
      'network',
      'create',
      '--provider-network-type',
      'flat',
      '--provider-physical-network',
      'extnet',
      'flat3',
    ]);
    assert.match(dup.stderr, /ConflictException: 409.*Physical network extnet is in use/);
  });

  it('applies neutron.conf quotas: the second router is over quota', async () => {
    const r1 = await cloud.openstack(['router', 'create', 'r1']);
    assert.equal(r1.code, 0, r1.stderr);
    const r2 = await cloud.openstack(['router', 'create', 'r2']);
    assert.match(r2.stderr, /ConflictException: 409.*Quota exceeded for resources: \['router'\]\./);
    const q = await cloud.openstack(['quota', 'show', '-f', 'json']);
    assert.equal(q.code, 0, q.stderr);
    assert.equal(JSON.parse(q.stdout).routers, 1);
    const set = await cloud.openstack(['quota', 'set', '--routers', '3', 'admin']);
    assert.equal(set.code, 0, set.stderr);
    assert.equal((await cloud.openstack(['router', 'create', 'r2'])).code, 0);
  });

  it('keeps port security and security groups consistent', async () => {
    await cloud.openstack([
      'network',
      'create',
      '--provider-network-type',
      'flat',
      '--provider-physical-network',
      'p9',
      'ps',
    ]);
    const sub = await cloud.openstack([
      'subnet',
      'create',
      '--network',
      'ps',
      '--subnet-range',
      '10.5.0.0/24',
      'ps-sub',
    ]);
    assert.equal(sub.code, 0, sub.stderr);
    const p = JSON.parse(
      (await cloud.openstack(['port', 'create', '--network', 'ps', 'pp', '-f', 'json'])).stdout,
    );
    assert.equal(p.security_group_ids.length, 1, 'the project default group');
    const off = await cloud.openstack(['port', 'set', '--disable-port-security', 'pp']);
    assert.match(off.stderr, /Port has security group associated/);
    const ok = await cloud.openstack(['port', 'set', '--no-security-group', '--disable-port-security', 'pp']);
    assert.equal(ok.code, 0, ok.stderr);
    const pair = await cloud.openstack(['port', 'set', '--allowed-address', 'ip-address=10.5.0.100', 'pp']);
    assert.match(pair.stderr, /Port Security must be enabled in order to have allowed address pairs/);
    const del = await cloud.openstack(['security', 'group', 'delete', 'default'], cloud.demo);
    assert.notEqual(del.code, 0);
  });

  it('stores QoS policies and bandwidth-limit rules', async () => {
    const pol = await cloud.openstack(['network', 'qos', 'policy', 'create', 'gold', '-f', 'json']);
    assert.equal(pol.code, 0, pol.stderr);
    const rule = await cloud.openstack([
      'network',
      'qos',
      'rule',
      'create',
      '--type',
      'bandwidth-limit',
      '--max-kbps',
      '10000',
      '--max-burst-kbits',
      '1000',
      '--egress',
      'gold',
      '-f',
      'json',
    ]);
    assert.equal(rule.code, 0, rule.stderr);
    const shown = JSON.parse(
      (await cloud.openstack(['network', 'qos', 'policy', 'show', 'gold', '-f', 'json'])).stdout,
    );
    assert.equal(shown.rules[0].max_kbps, 10000);
    assert.equal(shown.rules[0].type, 'bandwidth_limit');
  });

  it('keeps networks, ports and VNIs across a restart and provisions public once', async () => {
    const data = mkdtempSync(join(tmpdir(), 'pocketstack-restart-'));
    try {
      const first = await startTestCloud({ dataDir: data, ephemeral: false });
      const net = JSON.parse((await first.openstack(['network', 'create', 'keep', '-f', 'json'])).stdout);
      await first.openstack([
        'subnet',
        'create',
        '--network',
        'keep',
        '--subnet-range',
        '10.7.0.0/24',
        'keep-sub',
      ]);
      const port = JSON.parse(
        (await first.openstack(['port', 'create', '--network', 'keep', 'kp', '-f', 'json'])).stdout,
      );
      await first.stop();
      const second = await startTestCloud({ dataDir: data, ephemeral: false });
      try {
        const again = JSON.parse((await second.openstack(['network', 'show', 'keep', '-f', 'json'])).stdout);
        assert.equal(again['provider:segmentation_id'], net['provider:segmentation_id']);
        const p = JSON.parse((await second.openstack(['port', 'show', 'kp', '-f', 'json'])).stdout);
        assert.deepEqual(p.fixed_ips, port.fixed_ips);
        assert.equal(p.mac_address, port.mac_address);
        const names = JSON.parse((await second.openstack(['network', 'list', '-f', 'json'])).stdout).map(
          (n: { Name: string }) => n.Name,
        );
        assert.deepEqual(names.sort(), ['keep', 'public']);
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  });

  it('refuses to start on a bad value, naming the file and line', async () => {
    const bad = configDir(
      '[ml2]\ntype_drivers = vxlan\n[ml2_type_vxlan]\nvni_ranges = 10:100\n[securitygroup]\nenable_security_group = perhaps\n',
    );
    const data = mkdtempSync(join(tmpdir(), 'pocketstack-bad-'));
    try {
      await assert.rejects(
        up({
          dataDir: data,
          defaultDataDir: data,
          ephemeral: true,
          bind: '127.0.0.1',
          portOffset: 39000,
          configDir: bad,
          out: () => {},
        }),
        (e: Error) =>
          e.message.endsWith(
            "ml2_conf.ini:6: invalid value 'perhaps' for [securitygroup] enable_security_group: expected a boolean",
          ),
      );
    } finally {
      rmSync(bad, { recursive: true, force: true });
      rmSync(data, { recursive: true, force: true });
    }
  });
});
