import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ConfigError } from '../../sim/oslo-config.js';
import { OvsAgentConfigError } from './config.js';
import { loadOvsAgentConfig } from './config-file.js';

const INI = new URL('../../../../etc/neutron/plugins/ml2/openvswitch_agent.ini', import.meta.url);

test("the shipped openvswitch_agent.ini (packstack's) with a compute host's own local_ip", () => {
  const warnings: string[] = [];
  const c = loadOvsAgentConfig(
    { path: 'openvswitch_agent.ini', text: readFileSync(INI, 'utf8') },
    { name: 'compute1', localIp: '192.168.136.67' },
    (w) => warnings.push(w),
  );
  assert.deepEqual(warnings, []);
  assert.equal(c.host, 'compute1');
  assert.equal(c.localIp, '192.168.136.67');
  assert.deepEqual(c.bridgeMappings, { extnet: 'br-ex' });
  assert.deepEqual(c.tunnelTypes, ['vxlan']);
  assert.equal(c.l2Population, false);
  assert.equal(c.firewall, 'iptables_hybrid');
  assert.equal(c.enableIpset, true);
  assert.equal(c.pollingInterval, 2);
  assert.equal(c.reportInterval, 30);
  assert.equal(c.integrationBridge, 'br-int');
});

test('refused at start as the agent refuses: bad values with file and line, tunnelling without local_ip', () => {
  const load = (text: string) => loadOvsAgentConfig({ path: 'ovs.ini', text }, { name: 'h' });
  assert.throws(
    () => load('[agent]\npolling_interval=0\n'),
    (e) => e instanceof ConfigError && e.line === 2,
  );
  assert.throws(() => load('[agent]\ntunnel_types=vxlan\n'), OvsAgentConfigError);
  assert.throws(() => load('[agent]\ntunnel_types=gre\n[ovs]\nlocal_ip=10.0.0.1\n'), /Invalid tunnel type/);
  assert.throws(() => load('[ovs]\nbridge_mappings=extnet:br-ex,other:br-ex\n'), /not unique/);
  assert.throws(() => load('[securitygroup]\nfirewall_driver=openvswitch\n'), /not supported/);
  const warned: string[] = [];
  loadOvsAgentConfig({ path: 'ovs.ini', text: '[agent]\nl2_populaton=True\n' }, { name: 'h' }, (w) =>
    warned.push(w),
  );
  assert.match(warned[0], /unknown option \[agent\] l2_populaton ignored/);
  const l2 = load('[agent]\nl2_population=True\narp_responder=True\n');
  assert.equal(l2.arpResponder, true);
  assert.equal(
    load('[agent]\narp_responder=True\n').arpResponder,
    false,
    'arp_responder needs l2_population',
  );
});
