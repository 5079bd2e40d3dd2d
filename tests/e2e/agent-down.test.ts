// An agent that stops reporting turns dead after agent_down_time, and alive again when it comes
// back. neutron.conf (a copy of etc/ with agent_down_time=3 and report_interval=1, both read by
// neutron-server and by the agents) keeps the wait short.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { shippedConfigDir } from '../../src/services/neutron/index.js';
import { eventually, os, osJson } from './dataplane-fixtures.js';
import { startTestCloud, type TestCloud } from './harness.js';

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
        .replace('agent_down_time=75', 'agent_down_time=3')
        .replace('report_interval=30', 'report_interval=1'),
    );
    cloud = await startTestCloud({ configDir: dir });
  });
  after(async () => {
    await cloud?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows a stopped L3 agent XXX after agent_down_time, :-) again once it reports', async () => {
    assert.deepEqual(await alive(), { 'Open vSwitch agent': true, 'DHCP agent': true, 'L3 agent': true });
    const agents = cloud.running.cloud.neutronAgents;
    assert.ok(agents.stopAgent('localhost', 'l3'));
    await eventually('the L3 agent dead', async () =>
      (await alive())['L3 agent'] === false ? true : undefined,
    );
    const table = await os(cloud, ['network', 'agent', 'list']);
    assert.match(table, /\| L3 agent +\| localhost \| nova +\| XXX +\| UP +\| neutron-l3-agent +\|/);
    assert.match(table, /\| Open vSwitch agent +\| localhost \| None +\| :-\) +\|/);
    assert.ok(agents.startAgent('localhost', 'l3'));
    await eventually('the L3 agent back', async () =>
      (await alive())['L3 agent'] === true ? true : undefined,
    );
  });
});
