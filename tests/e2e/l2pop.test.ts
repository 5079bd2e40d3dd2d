// l2population in the whole cloud, configured as an operator does it: `mechanism_drivers =
// openvswitch,l2population` in ml2_conf.ini, `[agent] l2_population = True` and `arp_responder =
// True` in openvswitch_agent.ini. On `--layout multinode --computes 3` the agents build no full
// mesh: a tunnel exists only between hosts that carry a port of a common network (the controller
// with the DHCP port, compute1 with vm1, compute2 with vm2 — never compute3), br-tun carries the
// server's fdb entries (table 20 unicast flows without hard_timeout, table 21 ARP answers, table
// 22 flooding to exactly those tunnels), and when vm2 goes its entries and, compute2 carrying
// nothing of the network any more, the tunnels towards it go too (fdb_remove with the flooding
// entry, cleanup_tunnel_port). A restarted agent gets its entries back through update_device_up's
// refresh_tunnels.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { shippedConfigDir } from '../../src/services/neutron/index.js';
import {
  type Booted,
  bootServers,
  eventually,
  hostExec,
  type Json,
  leaseLine,
  os,
  osJson,
  seedNetworks,
  vmExec,
} from './dataplane-fixtures.js';
import { startTestCloud, type TestCloud } from './harness.js';

/** The shipped etc/ with l2population on in the server and in every Open vSwitch agent. */
function l2popConfigDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pocketstack-etc-l2pop-'));
  cpSync(shippedConfigDir(), dir, { recursive: true });
  const edit = (file: string, from: RegExp, to: string) => {
    const path = join(dir, 'neutron/plugins/ml2', file);
    const text = readFileSync(path, 'utf8');
    assert.match(text, from, `${file} has ${from}`);
    writeFileSync(path, text.replace(from, to));
  };
  edit('ml2_conf.ini', /^mechanism_drivers=openvswitch$/m, 'mechanism_drivers=openvswitch,l2population');
  edit('openvswitch_agent.ini', /^l2_population=False$/m, 'l2_population=True\narp_responder=True');
  return dir;
}

const HOSTS = ['controller', 'compute1', 'compute2', 'compute3'];
const IP: Record<string, string> = {
  controller: '192.168.136.10',
  compute1: '192.168.136.11',
  compute2: '192.168.136.12',
  compute3: '192.168.136.13',
};
/** Neutron's tunnel port name: `vxlan-` and the peer's IPv4 address in hex. */
const tunnelTo = (host: string) =>
  `vxlan-${IP[host]
    .split('.')
    .map((o) => Number(o).toString(16).padStart(2, '0'))
    .join('')}`;

describe('l2population: tunnels and fdb entries follow the ports', () => {
  let cloud: TestCloud;
  let dir: string;
  let vm: Record<string, Booted>;
  let vni: number;
  let dhcp: { mac: string; ip: string };
  const exec = (host: string, ...argv: string[]) => hostExec(cloud, host, ...argv);
  /** The vxlan ports of a host's br-tun, sorted. */
  const tunnels = async (host: string) =>
    (await exec(host, 'ovs-vsctl', 'list-ports', 'br-tun'))
      .split('\n')
      .filter((p) => p.startsWith('vxlan-'))
      .sort();
  const ofport = async (host: string, port: string) =>
    Number((await exec(host, 'ovs-vsctl', 'get', 'Interface', port, 'ofport')).trim());
  const lvid = async (host: string, portId: string) =>
    Number((await exec(host, 'ovs-vsctl', 'get', 'Port', `qvo${portId.slice(0, 11)}`, 'tag')).trim());
  const brTun = (host: string, table: number) =>
    exec(host, 'ovs-ofctl', 'dump-flows', 'br-tun', `table=${table}`);
  const macOf = async (portId: string) =>
    (await osJson(cloud, ['port', 'show', portId])).mac_address as string;

  before(async () => {
    dir = l2popConfigDir();
    cloud = await startTestCloud({ layout: { layout: 'multinode', computes: 3 }, configDir: dir });
  });
  after(async () => {
    await cloud?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the agents report l2_population and arp_responder; a network with only its DHCP port makes no tunnel', async () => {
    const agents = (await osJson(cloud, [
      'network',
      'agent',
      'list',
      '--agent-type',
      'open-vswitch',
    ])) as Json[];
    assert.deepEqual(agents.map((a) => a.Host).sort(), [...HOSTS].sort());
    const show = await osJson(cloud, ['network', 'agent', 'show', agents[0].ID]);
    assert.equal(show.configuration.l2_population, true);
    assert.equal(show.configuration.arp_responder_enabled, true);
    const net = (await seedNetworks(cloud, [10]))[10];
    vni = (await osJson(cloud, ['network', 'show', net]))['provider:segmentation_id'];
    const [port] = (await osJson(cloud, [
      'port',
      'list',
      '--network',
      net,
      '--device-owner',
      'network:dhcp',
      '--long',
    ])) as Json[];
    await eventually('the DHCP port ACTIVE', async () =>
      (await osJson(cloud, ['port', 'show', port.ID])).status === 'ACTIVE' ? true : undefined,
    );
    dhcp = { mac: port['MAC Address'], ip: port['Fixed IP Addresses'][0].ip_address };
    // Without l2population every agent would have a vxlan port to each of the three others.
    for (const h of HOSTS) assert.deepEqual(await tunnels(h), [], `${h}'s br-tun`);
  });

  it('vm1 on compute1 and vm2 on compute2: tunnels between them and the controller only, fdb flows, ARP answers, ping', async () => {
    vm = await bootServers(cloud, [
      { name: 'vm1', network: 'vxlan10', host: 'compute1' },
      { name: 'vm2', network: 'vxlan10', host: 'compute2' },
    ]);
    const want: Record<string, string[]> = {
      controller: [tunnelTo('compute1'), tunnelTo('compute2')].sort(),
      compute1: [tunnelTo('controller'), tunnelTo('compute2')].sort(),
      compute2: [tunnelTo('controller'), tunnelTo('compute1')].sort(),
      compute3: [],
    };
    await eventually('the tunnels of l2population', async () => {
      for (const h of HOSTS) if ((await tunnels(h)).join() !== want[h].join()) return undefined;
      return true;
    });
    const [mac1, mac2] = [await macOf(vm.vm1.portId), await macOf(vm.vm2.portId)];
    const tun = `load:0x${vni.toString(16)}->NXM_NX_TUN_ID\\[\\]`;
    // compute1: vm2's and the DHCP port's MACs behind their hosts' tunnels, installed (priority 2,
    // no hard_timeout) from fdb_add, not learned.
    const c1 = {
      lvid: await lvid('compute1', vm.vm1.portId),
      toC2: await ofport('compute1', tunnelTo('compute2')),
      toCtl: await ofport('compute1', tunnelTo('controller')),
    };
    const t20 = await brTun('compute1', 20);
    for (const [mac, out] of [
      [mac2, c1.toC2],
      [dhcp.mac, c1.toCtl],
    ] as const)
      assert.match(
        t20,
        new RegExp(
          `table=20, n_packets=\\d+, n_bytes=\\d+, (idle_age=\\d+, )?priority=2,dl_vlan=${c1.lvid},dl_dst=${mac} actions=strip_vlan,${tun},output:${out}\\n`,
        ),
      );
    assert.doesNotMatch(t20, new RegExp(`dl_dst=${mac1}`), 'no entry for the local port');
    const t22 = await brTun('compute1', 22);
    const flood = new RegExp(
      `priority=1,dl_vlan=${c1.lvid} actions=strip_vlan,${tun},output:(\\d+),output:(\\d+)\\n`,
    ).exec(t22);
    assert.ok(flood, t22);
    assert.deepEqual(
      [Number(flood[1]), Number(flood[2])].sort(),
      [c1.toC2, c1.toCtl].sort(),
      'floods to the hosts of the network',
    );
    const t21 = await brTun('compute1', 21);
    for (const ip of [vm.vm2.ip, dhcp.ip])
      assert.match(t21, new RegExp(`priority=1,arp,dl_vlan=${c1.lvid},arp_tpa=${ip.replace(/\./g, '\\.')} `));
    assert.doesNotMatch(t21, new RegExp(`arp_tpa=${vm.vm1.ip.replace(/\./g, '\\.')} `));
    // compute2 mirrors it: vm1 behind compute1's tunnel.
    const c2 = {
      lvid: await lvid('compute2', vm.vm2.portId),
      toC1: await ofport('compute2', tunnelTo('compute1')),
    };
    assert.match(
      await brTun('compute2', 20),
      new RegExp(
        `priority=2,dl_vlan=${c2.lvid},dl_dst=${mac1} actions=strip_vlan,${tun},output:${c2.toC1}\\n`,
      ),
    );

    // The guests' DHCP requests reached the controller through the flooding of table 22.
    for (const name of ['vm1', 'vm2']) assert.match(await leaseLine(cloud, name), /^Lease of /);
    const r = await vmExec(cloud, 'vm1', 'ping', '-c', '3', vm.vm2.ip);
    assert.match(r.stdout, / 0% packet loss/, r.stdout + r.stderr);
    // vm1's ARP request for vm2 was answered by compute1's br-tun (table 21), not by vm2.
    const arp = new RegExp(`n_packets=(\\d+), .*arp_tpa=${vm.vm2.ip.replace(/\./g, '\\.')} actions=`).exec(
      await brTun('compute1', 21),
    );
    assert.ok(arp && Number(arp[1]) >= 1, "table 21 answered vm1's ARP request for vm2");
    // The l2pop flow (priority 2) carried the echo requests; table 10 still learns vm2's MAC from
    // its replies, as in Neutron, but the learned flow (priority 1) stays unused beneath it.
    const after20 = await brTun('compute1', 20);
    const uni = new RegExp(`n_packets=(\\d+), .*priority=2,dl_vlan=${c1.lvid},dl_dst=${mac2} `).exec(after20);
    assert.ok(uni && Number(uni[1]) >= 3, `the l2pop flow carried the echo requests:\n${after20}`);
    const learned = new RegExp(`n_packets=(\\d+), .*hard_timeout=300, .*priority=1,.*dl_dst=${mac2} `).exec(
      after20,
    );
    if (learned) assert.equal(Number(learned[1]), 0, 'the learned flow is shadowed by the installed one');
  });

  it("a second fixed IP on vm2's port is answered by compute1's ARP responder (chg_ip) until it is removed", async () => {
    const extra = ['172.16.10.250', '172.16.10.251', '172.16.10.252'].find(
      (a) => ![vm.vm1.ip, vm.vm2.ip, dhcp.ip].includes(a),
    ) as string;
    const fixedIp = `subnet=subnet172_16_10_0,ip-address=${extra}`;
    const answered = new RegExp(`priority=1,arp,dl_vlan=\\d+,arp_tpa=${extra.replace(/\./g, '\\.')} `);
    await os(cloud, ['port', 'set', '--fixed-ip', fixedIp, vm.vm2.portId]);
    await eventually('the ARP answer for the new address', async () =>
      answered.test(await brTun('compute1', 21)) ? true : undefined,
    );
    // vm2's first address is still answered; the port stays behind the same tunnel.
    assert.match(await brTun('compute1', 21), new RegExp(`arp_tpa=${vm.vm2.ip.replace(/\./g, '\\.')} `));
    await os(cloud, ['port', 'unset', '--fixed-ip', fixedIp, vm.vm2.portId]);
    await eventually('the ARP answer gone with the address', async () =>
      answered.test(await brTun('compute1', 21)) ? undefined : true,
    );
  });

  it('a restarted Open vSwitch agent asks for its fdb entries again (refresh_tunnels) and keeps its tunnels', async () => {
    const before = {
      tunnels: await tunnels('compute1'),
      toC2: await ofport('compute1', tunnelTo('compute2')),
    };
    const mac2 = await macOf(vm.vm2.portId);
    const agents = cloud.running.cloud.neutronAgents;
    // `systemctl restart neutron-openvswitch-agent`: a new run with new cookies, whose first loop
    // deletes the old run's flows — the fdb entries among them; vm2's port stays ACTIVE.
    assert.ok(agents.stopAgent('compute1', 'ovs'));
    assert.ok(agents.startAgent('compute1', 'ovs'));
    const cookies = async () =>
      new Set(
        [
          ...(await exec('compute1', 'ovs-ofctl', 'dump-flows', 'br-tun')).matchAll(/cookie=(0x[0-9a-f]+)/g),
        ].map((m) => m[1]),
      );
    const t20 = await eventually("the fdb flows back under the new run's cookie", async () => {
      const dump = await brTun('compute1', 20);
      return (await cookies()).size === 1 &&
        dump.includes(`dl_dst=${mac2} `) &&
        dump.includes(`dl_dst=${dhcp.mac} `)
        ? dump
        : undefined;
    });
    assert.match(
      t20,
      new RegExp(`priority=2,dl_vlan=\\d+,dl_dst=${mac2} actions=.*,output:${before.toC2}\\n`),
    );
    assert.deepEqual(await tunnels('compute1'), before.tunnels);
    const r = await vmExec(cloud, 'vm1', 'ping', '-c', '2', vm.vm2.ip);
    assert.match(r.stdout, / 0% packet loss/, r.stdout + r.stderr);
  });

  it('deleting vm2 removes its fdb entries and, compute2 carrying nothing of the network, the tunnels to it', async () => {
    const mac2 = await macOf(vm.vm2.portId);
    const c1lvid = await lvid('compute1', vm.vm1.portId);
    await os(cloud, ['server', 'delete', 'vm2', '--wait']);
    const want: Record<string, string[]> = {
      controller: [tunnelTo('compute1')],
      compute1: [tunnelTo('controller')],
      compute2: [],
      compute3: [],
    };
    await eventually('the tunnels to compute2 gone', async () => {
      for (const h of HOSTS) if ((await tunnels(h)).join() !== want[h].join()) return undefined;
      return true;
    });
    // (A flow table 10 learned from vm2's replies may stay until its hard_timeout, as in OVS.)
    assert.doesNotMatch(
      await brTun('compute1', 20),
      new RegExp(`priority=2,dl_vlan=${c1lvid},dl_dst=${mac2} `),
    );
    assert.doesNotMatch(await brTun('controller', 20), new RegExp(`priority=2,dl_vlan=\\d+,dl_dst=${mac2} `));
    assert.doesNotMatch(
      await brTun('compute1', 21),
      new RegExp(`arp_tpa=${vm.vm2.ip.replace(/\./g, '\\.')} `),
    );
    const toCtl = await ofport('compute1', tunnelTo('controller'));
    assert.match(
      await brTun('compute1', 22),
      new RegExp(
        `priority=1,dl_vlan=${c1lvid} actions=strip_vlan,load:0x[0-9a-f]+->NXM_NX_TUN_ID\\[\\],output:${toCtl}\\n`,
      ),
    );
    // compute2's br-tun has nothing left of the network.
    for (const t of [4, 20, 21, 22])
      assert.doesNotMatch(await brTun('compute2', t), /dl_vlan=|tun_id=0x/, `compute2 table ${t}`);
    // vm1 still reaches the DHCP port through the tunnel that stays.
    const r = await vmExec(cloud, 'vm1', 'ping', '-c', '1', dhcp.ip);
    assert.match(r.stdout, / 0% packet loss/, r.stdout + r.stderr);
  });
});
