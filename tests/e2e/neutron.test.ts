// Issue 5's command block and acceptance checks, driven by Debian's real `openstack` client
// (and the deprecated `neutron` CLI), against one cloud.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { run, startTestCloud, type TestCloud } from './harness.js';

type Row = Record<string, unknown>;

describe('neutron with the real openstack client', () => {
  let cloud: TestCloud;
  let token: string;
  let base: string;
  const os = async (args: string[], env?: Record<string, string>) => {
    const r = await cloud.openstack(args, env);
    assert.equal(r.code, 0, `openstack ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const osJson = async (args: string[], env?: Record<string, string>) =>
    JSON.parse(await os([...args, '-f', 'json'], env)) as Row & Row[];
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}/v2.0${path}`, {
      method,
      headers: { 'X-Auth-Token': token, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Row) : {} };
  };

  before(async () => {
    cloud = await startTestCloud();
    token = (await os(['token', 'issue', '-f', 'value', '-c', 'id'])).trim();
    base = `http://127.0.0.1:${9696 + cloud.offset}`;
  });
  after(async () => cloud?.stop());

  it('runs the command block of the issue', async () => {
    const net = await osJson(['network', 'create', 'vxlan10']);
    assert.equal(net['provider:network_type'], 'vxlan');
    const seg = net['provider:segmentation_id'] as number;
    assert.ok(seg >= 10 && seg <= 100, `VNI ${seg} in 10..100`);
    assert.equal(net.mtu, 1450);
    const sub = await osJson([
      'subnet',
      'create',
      '--network',
      'vxlan10',
      '--subnet-range',
      '172.16.10.0/24',
      'subnet172_16_10_0',
    ]);
    assert.equal(sub.gateway_ip, '172.16.10.1');
    assert.deepEqual(sub.allocation_pools, [{ start: '172.16.10.2', end: '172.16.10.254' }]);
    const shown = await osJson([
      'network',
      'show',
      'vxlan10',
      '-c',
      'provider:network_type',
      '-c',
      'provider:segmentation_id',
      '-c',
      'mtu',
    ]);
    assert.deepEqual(shown, { mtu: 1450, 'provider:network_type': 'vxlan', 'provider:segmentation_id': seg });
    await os(['network', 'create', 'vxlan11']);
    await os([
      'subnet',
      'create',
      '--network',
      'vxlan11',
      '--subnet-range',
      '172.16.11.0/24',
      'subnet172_16_11_0',
    ]);
    await os(['router', 'create', 'router10_11']);
    await os(['router', 'set', '--external-gateway', 'public', 'router10_11']);
    await os(['router', 'add', 'subnet', 'router10_11', 'subnet172_16_10_0']);
    await os(['router', 'add', 'subnet', 'router10_11', 'subnet172_16_11_0']);
    const router = await osJson(['router', 'show', 'router10_11']);
    const gw = router.external_gateway_info as {
      external_fixed_ips: { ip_address: string }[];
      enable_snat: boolean;
    };
    assert.equal(gw.enable_snat, true);
    assert.match(gw.external_fixed_ips[0].ip_address, /^172\.24\.4\.\d+$/);
    const ifaces = (await osJson([
      'port',
      'list',
      '--router',
      'router10_11',
      '--device-owner',
      'network:router_interface',
    ])) as Row[];
    const ips = ifaces.flatMap((p) =>
      (p['Fixed IP Addresses'] as { ip_address: string }[]).map((f) => f.ip_address),
    );
    assert.deepEqual(ips.sort(), ['172.16.10.1', '172.16.11.1']);

    const port = await osJson(['port', 'create', '--network', 'vxlan10', 'p1']);
    assert.match(port.mac_address as string, /^fa:16:3e(:[0-9a-f]{2}){3}$/);
    assert.equal(port.status, 'DOWN');
    const fip = await osJson(['floating', 'ip', 'create', 'public']);
    assert.match(fip.floating_ip_address as string, /^172\.24\.4\.\d+$/);
    assert.equal(fip.status, 'DOWN');
    await os(['floating', 'ip', 'set', '--port', 'p1', fip.floating_ip_address as string]);
    const fipShown = await osJson(['floating', 'ip', 'show', fip.floating_ip_address as string]);
    assert.equal(fipShown.port_id, port.id);
    assert.equal(fipShown.router_id, router.id);
    assert.equal(fipShown.fixed_ip_address, (port.fixed_ips as { ip_address: string }[])[0].ip_address);

    const rule = await osJson(['security', 'group', 'rule', 'create', '--protocol', 'icmp', 'default']);
    assert.equal(rule.protocol, 'icmp');
    assert.equal(rule.direction, 'ingress');
    const rules = (await osJson(['security', 'group', 'rule', 'list', 'default'])) as Row[];
    assert.equal(rules.length, 5, 'the default group has 4 rules plus the ICMP one');
    const again = await cloud.openstack([
      'security',
      'group',
      'rule',
      'create',
      '--protocol',
      'icmp',
      'default',
    ]);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /Security group rule already exists/);

    // Empty until the agents run; then the agents the cloud started, as they reported.
    for (const a of (await osJson(['network', 'agent', 'list'])) as Row[])
      assert.ok(
        ['Open vSwitch agent', 'L3 agent', 'DHCP agent', 'Metadata agent'].includes(
          a['Agent Type'] as string,
        ),
      );
    const routed = await osJson([
      'router',
      'add',
      'route',
      '--route',
      'destination=192.168.0.0/24,gateway=172.16.10.50',
      'router10_11',
    ]);
    assert.deepEqual(routed.routes, [{ destination: '192.168.0.0/24', nexthop: '172.16.10.50' }]);
    const offLink = await cloud.openstack([
      'router',
      'add',
      'route',
      '--route',
      'destination=192.168.1.0/24,gateway=10.99.0.1',
      'router10_11',
    ]);
    assert.match(offLink.stderr, /the nexthop is not connected with router/);
    // A router with interfaces cannot go; the real 409.
    const del = await cloud.openstack(['router', 'delete', 'router10_11']);
    assert.notEqual(del.code, 0);
  });

  it('refuses overlapping and invalid subnets with the real errors', async () => {
    await os(['network', 'create', 'ovl']);
    await os(['subnet', 'create', '--network', 'ovl', '--subnet-range', '10.9.0.0/24', 'ovl1']);
    const r = await cloud.openstack([
      'subnet',
      'create',
      '--network',
      'ovl',
      '--subnet-range',
      '10.9.0.128/25',
      'ovl2',
    ]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /BadRequestException: 400.*overlaps with another subnet\./);
    const bad = await cloud.openstack([
      'subnet',
      'create',
      '--network',
      'ovl',
      '--subnet-range',
      '10.300.0.0/24',
      'bad',
    ]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /10\.300\.0\.0\/24 is not in a CIDR format/);
    const gw = await api('POST', '/subnets', {
      subnet: {
        network_id: (await osJson(['network', 'show', 'ovl'])).id,
        ip_version: 4,
        cidr: '10.8.0.0/24',
        gateway_ip: '10.8.0.255',
      },
    });
    assert.equal(gw.status, 400);
    assert.deepEqual(gw.body, {
      NeutronError: {
        type: 'InvalidInput',
        message: 'Invalid input for operation: Gateway is not valid on subnet.',
        detail: '',
      },
    });
  });

  it("hides admin's networks and provider attributes from a member", async () => {
    const demo = cloud.demo;
    const names = ((await osJson(['network', 'list'], demo)) as Row[]).map((n) => n.Name);
    assert.ok(names.includes('public'), 'the external network is visible to all');
    assert.ok(!names.includes('vxlan10'));
    const show = await cloud.openstack(['network', 'show', 'vxlan10'], demo);
    assert.notEqual(show.code, 0);
    assert.match(show.stderr, /No Network found for vxlan10/);
    const prov = await cloud.openstack(
      ['network', 'create', '--provider-network-type', 'vxlan', 'mine'],
      demo,
    );
    assert.notEqual(prov.code, 0);
    assert.match(prov.stderr, /create_network:provider:network_type\) is disallowed by policy/);
    const own = await osJson(['network', 'create', 'demo-net'], demo);
    // The client shows the attribute the server withheld as None.
    assert.equal(own['provider:network_type'], null);
    assert.equal(own.mtu, 1450);
  });

  it('pages, sorts, filters and trims lists; refuses unknown attributes and filters', async () => {
    const names = ['pg-c', 'pg-a', 'pg-b'];
    const r = await api('POST', '/networks', { networks: names.map((name) => ({ name, tags: ['pg'] })) });
    assert.equal(r.status, 201);
    const page1 = await api(
      'GET',
      '/networks?tags=pg&sort_key=name&sort_dir=asc&limit=2&fields=name&fields=id',
    );
    assert.deepEqual(
      (page1.body.networks as Row[]).map((n) => Object.keys(n).sort().join(',') + ':' + n.name),
      ['id,name:pg-a', 'id,name:pg-b'],
    );
    const next = (page1.body.networks_links as { rel: string; href: string }[]).find((l) => l.rel === 'next');
    assert.ok(next);
    const page2 = await fetch(next.href, { headers: { 'X-Auth-Token': token } });
    const body2 = (await page2.json()) as { networks: Row[] };
    assert.deepEqual(
      body2.networks.map((n) => n.name),
      ['pg-c'],
    );
    const bogus = await api('POST', '/networks', { network: { name: 'x', bogus: 1 } });
    assert.equal(bogus.status, 400);
    assert.deepEqual(bogus.body, {
      NeutronError: { type: 'HTTPBadRequest', message: "Unrecognized attribute(s) 'bogus'", detail: '' },
    });
    const badFilter = await api('GET', '/networks?colour=blue');
    assert.equal(badFilter.status, 400);
    const missing = await api('GET', '/networks/1c492619-0304-43a7-9c85-ce14da300098');
    assert.deepEqual(missing.body, {
      NeutronError: {
        type: 'NetworkNotFound',
        message: 'Network 1c492619-0304-43a7-9c85-ce14da300098 could not be found.',
        detail: '',
      },
    });
    const pg = (page1.body.networks as Row[])[0];
    const stale = await fetch(`${base}/v2.0/networks/${pg.id}`, {
      method: 'PUT',
      headers: {
        'X-Auth-Token': token,
        'Content-Type': 'application/json',
        'If-Match': 'revision_number=99',
      },
      body: JSON.stringify({ network: { description: 'x' } }),
    });
    assert.equal(stale.status, 412);
    assert.match(
      ((await stale.json()) as { NeutronError: { message: string } }).NeutronError.message,
      /^Constrained to 99, but current revision is \d+$/,
    );
    const unknownUrl = await api('GET', '/bogus');
    assert.equal(unknownUrl.status, 404);
  });

  it("answers 404 for another project's resources and 403 for visible ones it may not change", async () => {
    const demoToken = (await os(['token', 'issue', '-f', 'value', '-c', 'id'], cloud.demo)).trim();
    const asDemo = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${base}/v2.0${path}`, {
        method,
        headers: { 'X-Auth-Token': demoToken, 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json().catch(() => ({}))) as Row };
    };
    const adminNet = (await osJson(['network', 'show', 'vxlan10'])).id as string;
    const hidden = await asDemo('GET', `/networks/${adminNet}`);
    assert.equal(hidden.status, 404);
    assert.equal((hidden.body.NeutronError as Row).type, 'NetworkNotFound');
    assert.equal((await asDemo('DELETE', `/networks/${adminNet}`)).status, 404);
    const pub = (await osJson(['network', 'show', 'public'])).id as string;
    const change = await asDemo('PUT', `/networks/${pub}`, { network: { name: 'mine' } });
    assert.equal(change.status, 403);
    assert.deepEqual(change.body, {
      NeutronError: {
        type: 'PolicyNotAuthorized',
        message: 'rule:update_network is disallowed by policy',
        detail: '',
      },
    });
    const onPublic = await asDemo('POST', '/ports', { port: { network_id: pub } });
    assert.equal(onPublic.status, 403);
    assert.match(
      (onPublic.body.NeutronError as Row).message as string,
      /^Tenant \w+ not allowed to create port on this network$/,
    );
    const p1 = (await osJson(['port', 'show', 'p1'])).id as string;
    assert.equal((await asDemo('GET', `/ports/${p1}`)).status, 404);
    const fip = await asDemo('POST', '/floatingips', { floatingip: { floating_network_id: pub } });
    assert.equal(fip.status, 201, 'a member may take a floating IP of the external network');
    const specific = await asDemo('POST', '/floatingips', {
      floatingip: { floating_network_id: pub, floating_ip_address: '172.24.4.250' },
    });
    assert.equal(specific.status, 403);
  });

  it('gives 200 ports from 8 parallel clients 200 distinct addresses and MACs', async () => {
    const net = await api('POST', '/networks', { network: { name: 'par' } });
    const netId = (net.body.network as Row).id as string;
    await api('POST', '/subnets', { subnet: { network_id: netId, ip_version: 4, cidr: '10.20.0.0/24' } });
    const made: Row[] = [];
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = 0; i < 25; i++) {
          const r = await api('POST', '/ports', { port: { network_id: netId } });
          assert.equal(r.status, 201);
          made.push(r.body.port as Row);
        }
      }),
    );
    // Ours only: a DHCP agent, when it runs, adds its own port to the network.
    const listed = (await api('GET', `/ports?network_id=${netId}&device_owner=`)).body.ports as Row[];
    assert.equal(listed.length, 200);
    const ips = new Set(listed.map((p) => (p.fixed_ips as { ip_address: string }[])[0].ip_address));
    const macs = new Set(listed.map((p) => p.mac_address));
    assert.equal(ips.size, 200);
    assert.equal(macs.size, 200);
    assert.deepEqual(new Set(made.map((p) => p.id)), new Set(listed.map((p) => p.id)));
  });

  it('fails the 92nd VXLAN network with NoNetworkAvailable', async () => {
    const used = ((await api('GET', '/networks?provider:network_type=vxlan')).body.networks as Row[]).length;
    const bulk = Array.from({ length: 91 - used }, (_, i) => ({ name: `fill${i}` }));
    const r = await api('POST', '/networks', { networks: bulk });
    assert.equal(r.status, 201);
    const vnis = new Set(
      ((await api('GET', '/networks?provider:network_type=vxlan')).body.networks as Row[]).map(
        (n) => n['provider:segmentation_id'],
      ),
    );
    assert.equal(vnis.size, 91);
    const last = await cloud.openstack(['network', 'create', 'n92']);
    assert.notEqual(last.code, 0);
    assert.match(
      last.stderr,
      /HttpException: 503, .*Unable to create the network\. No tenant network is available for allocation\./,
    );
  });

  it('lists the agents that reported state, with their liveness', async () => {
    const bus = cloud.running.cloud.bus;
    // A host of its own: the cloud's own agent on localhost reports too, and would overwrite
    // the configurations this report carries.
    await bus.call('report_state', {
      agent_state: {
        binary: 'neutron-openvswitch-agent',
        host: 'compute-reported',
        topic: 'N/A',
        agent_type: 'Open vSwitch agent',
        configurations: { tunnel_types: ['vxlan'], bridge_mappings: { extnet: 'br-ex' } },
        start_flag: true,
      },
      time: new Date().toISOString(),
    });
    const agents = ((await osJson(['network', 'agent', 'list'])) as Row[]).filter(
      (a) => a['Agent Type'] === 'Open vSwitch agent' && a.Host === 'compute-reported',
    );
    assert.equal(agents.length, 1, 'one row per (type, host)');
    assert.equal(agents[0].Alive, true, 'the table shows :-)');
    assert.equal(agents[0].State, true, 'the table shows UP');
    assert.equal(agents[0].Binary, 'neutron-openvswitch-agent');
    const shown = await osJson(['network', 'agent', 'show', agents[0].ID as string]);
    assert.deepEqual(shown.configuration ?? shown.configurations, {
      tunnel_types: ['vxlan'],
      bridge_mappings: { extnet: 'br-ex' },
    });
  });

  it('answers the neutron CLI and writes neutron-server.log', async () => {
    const r = await run('neutron', ['net-list'], cloud.admin);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /public/);
    const lines = cloud.running.cloud.logs.file('neutron-server.log');
    assert.ok(lines);
  });
});
