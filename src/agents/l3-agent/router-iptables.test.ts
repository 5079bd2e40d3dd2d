import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { Host } from '../../kernel/host.js';
import { iptables, iptablesSave } from '../../kernel/netfilter/index.js';
import { Scheduler } from '../../sim/scheduler.js';
import { applyRouterTables, type RouterRules } from './router-iptables.js';

const dir = 'src/agents/l3-agent/testdata';
/** Golden files; UPDATE_GOLDEN=1 rewrites the ones pocketstack derives (not the reference's). */
function golden(name: string, actual: string): void {
  if (process.env.UPDATE_GOLDEN && name !== 'qrouter-nat.S.golden') writeFileSync(`${dir}/${name}`, actual);
  assert.equal(actual, readFileSync(`${dir}/${name}`, 'utf8'), name);
}

// reference/host-tools.md §7's example: one internal subnet, a gateway, one floating IP.
const example: RouterRules = {
  internalDevices: ['qr-4e5f6a7b-8c'],
  gateway: { device: 'qg-9a8b7c6d-5e', ip: '172.24.4.111' },
  enableSnat: true,
  floatingIps: [{ floating: '172.24.4.150', fixed: '10.0.0.5' }],
};

function routerNs() {
  const host = new Host('network', new Scheduler({ seed: 1 }));
  return host.addNamespace('qrouter-5c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f').iptables();
}

test('iptables -t nat -S in the qrouter namespace equals reference/host-tools.md §7', () => {
  const nf = routerNs();
  applyRouterTables(nf, example);
  golden('qrouter-nat.S.golden', iptables(nf, ['-t', 'nat', '-S']).stdout);
  golden('qrouter-mangle.S.golden', iptables(nf, ['-t', 'mangle', '-S']).stdout);
  golden('qrouter-filter.S.golden', iptables(nf, ['-t', 'filter', '-S']).stdout);
  golden('qrouter-raw.S.golden', iptables(nf, ['-t', 'raw', '-S']).stdout);
});

test('a router without gateway keeps only the float-snat jump and the metadata redirect', () => {
  const nf = routerNs();
  applyRouterTables(nf, {
    internalDevices: ['qr-4e5f6a7b-8c'],
    gateway: null,
    enableSnat: true,
    floatingIps: [],
  });
  const s = iptables(nf, ['-t', 'nat', '-S']).stdout;
  assert.doesNotMatch(s, /-j (SNAT|DNAT|ACCEPT)/);
  assert.match(s, /^-A neutron-l3-agent-snat -j neutron-l3-agent-float-snat$/m);
  assert.match(s, /^-A neutron-l3-agent-PREROUTING -d 169\.254\.169\.254\/32 -i qr-\+ .* --to-ports 9697$/m);
});

test('re-applying keeps the counters of rules that stay; a removed floating IP takes its rules', () => {
  const nf = routerNs();
  applyRouterTables(nf, example);
  const chain = nf.tables.nat!.chains.get('neutron-l3-agent-PREROUTING')!;
  chain.rules[1].pkts = 7;
  chain.rules[1].bytes = 588;
  applyRouterTables(nf, {
    ...example,
    floatingIps: [...example.floatingIps, { floating: '172.24.4.151', fixed: '10.0.0.6' }],
  });
  const saved = iptablesSave(nf, { time: 'x', counters: true, table: 'nat' });
  assert.match(
    saved,
    /^\[7:588\] -A neutron-l3-agent-PREROUTING -d 172\.24\.4\.150\/32 -j DNAT --to-destination 10\.0\.0\.5$/m,
  );
  assert.match(saved, /^\[0:0\] -A neutron-l3-agent-PREROUTING -d 172\.24\.4\.151\/32 -j DNAT/m);
  applyRouterTables(nf, { ...example, floatingIps: [] });
  assert.doesNotMatch(iptables(nf, ['-t', 'nat', '-S']).stdout, /172\.24\.4\.15/);
});
