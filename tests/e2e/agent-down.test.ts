// An agent that stops reporting turns dead after agent_down_time, and alive again when it comes
// back; a build whose port nobody reports up fails after vif_plugging_timeout, as Nova's does.
// neutron.conf (a copy of etc/ with agent_down_time=10 and report_interval=1, both read by
// neutron-server and by the agents) and vif_plugging_timeout=2 keep the waits short (the stopped Open vSwitch agent still
// counts as alive while the build binds its port).
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { shippedConfigDir } from '../../src/services/neutron/index.js';
import { eventually, hostExec, os, osJson, seedNetworks } from './dataplane-fixtures.js';
import { startTestCloud, type TestCloud } from './harness.js';
import { uploadImage } from './nova-fixtures.js';

describe('agent liveness: agent_down_time', () => {
  let cloud: TestCloud;
  const dir = mkdtempSync(join(tmpdir(), 'pocketstack-agent-down-'));
  const alive = async () =>
    Object.fromEntries(
      ((await osJson(cloud, ['network', 'agent', 'list'])) as Record<string, unknown>[]).map((a) => [
        a['Agent Type'],
        a.Alive,
      ]),
    );

  before(async () => {
    cpSync(shippedConfigDir(), dir, { recursive: true });
    const conf = join(dir, 'neutron/neutron.conf');
    writeFileSync(
      conf,
      readFileSync(conf, 'utf8')
        .replace('agent_down_time=75', 'agent_down_time=10')
        .replace('report_interval=30', 'report_interval=1'),
    );
    cloud = await startTestCloud({ configDir: dir, vifPluggingTimeout: 2 });
  });
  after(async () => {
    await cloud?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows a stopped L3 agent XXX after agent_down_time, :-) again once it reports', async () => {
    assert.deepEqual(await alive(), { 'Open vSwitch agent': true, 'DHCP agent': true, 'L3 agent': true });
    const agents = cloud.running.cloud.neutronAgents;
    assert.ok(agents.stopAgent('localhost', 'l3'));
    await eventually(
      'the L3 agent dead',
      async () => ((await alive())['L3 agent'] === false ? true : undefined),
      30_000,
    );
    const table = await os(cloud, ['network', 'agent', 'list']);
    assert.match(table, /\| L3 agent +\| localhost \| nova +\| XXX +\| UP +\| neutron-l3-agent +\|/);
    assert.match(table, /\| Open vSwitch agent +\| localhost \| None +\| :-\) +\|/);
    assert.ok(agents.startAgent('localhost', 'l3'));
    await eventually('the L3 agent back', async () =>
      (await alive())['L3 agent'] === true ? true : undefined,
    );
  });

  it('fails a build when network-vif-plugged does not come within vif_plugging_timeout', async () => {
    await seedNetworks(cloud, [10]);
    await uploadImage(cloud);
    const agents = cloud.running.cloud.neutronAgents;
    assert.ok(agents.stopAgent('localhost', 'ovs'));
    const r = await cloud.openstack([
      ...['server', 'create', '--image', 'cirros-0.3.4-x86_64', '--flavor', 'm1.tiny'],
      ...['--network', 'vxlan10', 'cirros-vm1', '--wait'],
    ]);
    // OSC's --wait says so (and exits 0: it raises a bare SystemExit).
    assert.match(r.stdout, /Error creating server/);
    const server = await osJson(cloud, ['server', 'show', 'cirros-vm1']);
    assert.equal(server.status, 'ERROR');
    assert.match(
      server.fault.message,
      /Build of instance \S+ aborted: Failed to allocate the network\(s\), not rescheduling\./,
    );
    const log = await hostExec(cloud, 'localhost', 'cat', '/var/log/nova/nova-compute.log');
    assert.match(
      log,
      /Timeout waiting for \[\('network-vif-plugged', '[0-9a-f-]{36}'\)\] for instance with vm_state building and task_state spawning/,
    );
    assert.ok(agents.startAgent('localhost', 'ovs'));
  });
});
