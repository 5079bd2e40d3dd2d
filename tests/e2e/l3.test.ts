// The seed's router and a floating IP on the all-in-one host, through the emulated packets:
// router10_11 joins vxlan10 and vxlan11 (vm1 reaches vm3 with ttl=63), its gateway on public
// gives SNAT to 172.24.4.1, a floating IP answers the host's ping through br-ex and DNAT; deleting
// the router cuts vm1 off from vm3 again, and a new router10_11 routes them once more.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type Booted,
  bootServers,
  eventually,
  hostExec,
  os,
  osJson,
  pocketstack,
  seedNetworks,
  vmExec,
} from './dataplane-fixtures.js';
import { startTestCloud, type TestCloud } from './harness.js';

describe('layer 3: router10_11 and a floating IP', () => {
  let cloud: TestCloud;
  let vm: Record<string, Booted>;
  let routerId: string;
  let fip: string;
  const exec = (...argv: string[]) => hostExec(cloud, 'localhost', ...argv);
  const ping = async (from: string, to: string, count = 2) =>
    (await vmExec(cloud, from, 'ping', '-c', String(count), to)).stdout;

  before(async () => {
    cloud = await startTestCloud();
    await seedNetworks(cloud);
    vm = await bootServers(cloud, [
      { name: 'cirros-vm1', network: 'vxlan10' },
      { name: 'cirros-vm3', network: 'vxlan11' },
    ]);
  });
  after(async () => {
    await cloud?.stop();
  });

  it('routes vm1 to vm3 once router10_11 joins both subnets (ttl=63)', async () => {
    routerId = (await osJson(cloud, ['router', 'create', 'router10_11'])).id;
    await os(cloud, ['router', 'set', '--external-gateway', 'public', 'router10_11']);
    await os(cloud, ['router', 'add', 'subnet', 'router10_11', 'subnet172_16_10_0']);
    await os(cloud, ['router', 'add', 'subnet', 'router10_11', 'subnet172_16_11_0']);
    const addr = await eventually('qr- ports in the router namespace', async () => {
      const a = await exec('ip', 'netns', 'exec', `qrouter-${routerId}`, 'ip', 'addr');
      return /inet 172\.16\.11\.1\/24/.test(a) && /inet 172\.24\.4\.\d+\/24/.test(a) ? a : undefined;
    });
    assert.match(addr, /: qr-[0-9a-f]{8}-[0-9a-f]{2}: .*\n.*\n\s+inet 172\.16\.10\.1\/24 /);
    assert.match(addr, /: qg-[0-9a-f]{8}-[0-9a-f]{2}: /);
    const out = await eventually('replies through the router', async () => {
      const o = await ping('cirros-vm1', vm['cirros-vm3'].ip, 3);
      return /, 0% packet loss/.test(o) ? o : undefined;
    });
    assert.match(out, /seq=\d+ ttl=63 /);
    const netns = await exec('ip', 'netns');
    assert.match(netns, new RegExp(`^qrouter-${routerId} `, 'm'));
    assert.equal(netns.match(/^qdhcp-/gm)?.length, 2);
  });

  it('SNATs vm1 to 172.24.4.1 and answers the host on a floating IP through DNAT', async () => {
    assert.match(await ping('cirros-vm1', '172.24.4.1'), /2 packets received, 0% packet loss/);
    // The default group lets nothing in from outside: ICMP first, as a user must.
    await os(cloud, ['security', 'group', 'rule', 'create', '--protocol', 'icmp', 'default']);
    fip = (await osJson(cloud, ['floating', 'ip', 'create', 'public'])).floating_ip_address as string;
    await os(cloud, ['server', 'add', 'floating', 'ip', 'cirros-vm1', fip]);
    // Neutron tells Nova (network-changed), so the server list — Nova's cache — shows it too.
    await eventually('the floating IP in the server list', async () => {
      const rows = (await osJson(cloud, ['server', 'list'])) as { Name: string; Networks: unknown }[];
      const networks = JSON.stringify(rows.find((r) => r.Name === 'cirros-vm1')?.Networks);
      return networks.includes(`"${fip}"`) ? networks : undefined;
    });
    const out = await eventually('the floating IP answers', async () => {
      const r = await hostExec(cloud, 'localhost', 'ping', '-c', '2', fip).catch(() => '');
      return / 0% packet loss/.test(r) ? r : undefined;
    });
    assert.match(out, new RegExp(`64 bytes from ${fip.replace(/\./g, '\\.')}: icmp_seq=1 ttl=63 `));
    const nat = await exec('ip', 'netns', 'exec', `qrouter-${routerId}`, 'iptables', '-t', 'nat', '-S');
    assert.match(
      nat,
      new RegExp(
        `-A neutron-l3-agent-PREROUTING -d ${fip}/32 -j DNAT --to-destination ${vm['cirros-vm1'].ip}`,
      ),
    );
    assert.match(
      nat,
      new RegExp(
        `-A neutron-l3-agent-float-snat -s ${vm['cirros-vm1'].ip}/32 -j SNAT --to-source ${fip}( --random-fully)?$`,
        'm',
      ),
    );
    await eventually('the floating IP ACTIVE', async () =>
      (await osJson(cloud, ['floating', 'ip', 'show', fip])).status === 'ACTIVE' ? true : undefined,
    );
    // The DNAT rule counts new connections (`iptables -t nat -L -n -v`): conntrack sends only the
    // first packet of a flow through the nat table, so one ping session adds one.
    const dnatPackets = async () => {
      const table = await exec(
        'ip',
        'netns',
        'exec',
        `qrouter-${routerId}`,
        'iptables',
        '-t',
        'nat',
        '-L',
        'neutron-l3-agent-PREROUTING',
        '-n',
        '-v',
      );
      const row = table.split('\n').find((l) => l.includes('DNAT') && l.includes(fip));
      assert.ok(row, table);
      return Number(row.trim().split(/\s+/)[0]);
    };
    const before = await dnatPackets();
    assert.match(await exec('ping', '-c', '2', fip), / 0% packet loss/);
    assert.equal(await dnatPackets(), before + 1);

    // Disassociated: the host's pings go unanswered.
    await os(cloud, ['server', 'remove', 'floating', 'ip', 'cirros-vm1', fip]);
    await eventually('the floating IP DOWN', async () =>
      (await osJson(cloud, ['floating', 'ip', 'show', fip])).status === 'DOWN' ? true : undefined,
    );
    const r = await pocketstack(cloud, 'host', 'exec', 'localhost', '--', 'ping', '-c', '1', '-W', '1', fip);
    assert.match(r.stdout, /1 packets transmitted, 0 received, 100% packet loss/);
  });

  it('cuts vm1 off from vm3 when the router goes', async () => {
    await os(cloud, ['floating', 'ip', 'delete', fip]);
    await os(cloud, ['router', 'remove', 'subnet', 'router10_11', 'subnet172_16_10_0']);
    await os(cloud, ['router', 'remove', 'subnet', 'router10_11', 'subnet172_16_11_0']);
    await os(cloud, ['router', 'unset', '--external-gateway', 'router10_11']);
    await os(cloud, ['router', 'delete', 'router10_11']);
    await eventually('the router namespace gone', async () =>
      (await exec('ip', 'netns')).includes('qrouter-') ? undefined : true,
    );
    assert.match(await ping('cirros-vm1', vm['cirros-vm3'].ip), /100% packet loss/);
  });

  it('routes again once a new router10_11 joins the subnets', async () => {
    const again = (await osJson(cloud, ['router', 'create', 'router10_11'])).id as string;
    assert.notEqual(again, routerId);
    await os(cloud, ['router', 'add', 'subnet', 'router10_11', 'subnet172_16_10_0']);
    await os(cloud, ['router', 'add', 'subnet', 'router10_11', 'subnet172_16_11_0']);
    const out = await eventually('replies through the new router', async () => {
      const o = await ping('cirros-vm1', vm['cirros-vm3'].ip, 3);
      return /, 0% packet loss/.test(o) ? o : undefined;
    });
    assert.match(out, /seq=\d+ ttl=63 /);
    assert.match(await exec('ip', 'netns'), new RegExp(`^qrouter-${again} `, 'm'));
  });
});
