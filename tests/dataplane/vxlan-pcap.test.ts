// A VM-to-VM ping between two hosts wired as Neutron wires them, captured on compute1's underlay
// NIC and decoded by tshark: outer IPs, UDP 4789, the VNI, the inner MACs and IPs, ICMP id/seq.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Host } from '../../src/kernel/host.js';
import { PcapCapture } from '../../src/kernel/pcap-capture.js';
import type { PingEvent } from '../../src/kernel/sockets.js';
import { attachNamespaceAsGuest } from '../../src/kernel/tap-guest.js';
import { UnderlaySegment } from '../../src/kernel/underlay.js';
import { buildNeutronBridges } from '../../src/ovs/neutron-bridges.js';
import { Vswitchd } from '../../src/ovs/vswitchd.js';
import { Scheduler } from '../../src/sim/scheduler.js';
import { ip } from '../../src/wire/ipv4-address.js';
import { mac } from '../../src/wire/mac.js';

const hasTshark = spawnSync('sh', ['-c', 'command -v tshark'], { stdio: 'ignore' }).status === 0;

function twoHosts() {
  const sched = new Scheduler({ seed: 41 });
  const seg = new UnderlaySegment('data', '192.168.136.0/24');
  const mk = (name: string, n: number) => {
    const host = new Host(name, sched);
    const local = `192.168.136.${10 + n}`;
    const eth1 = host.addNic('eth1', seg);
    host.root.addAddress(eth1, `${local}/24`);
    eth1.setUp(true);
    const nb = buildNeutronBridges(new Vswitchd(host), {
      localIp: local,
      peers: [`192.168.136.${13 - n}`],
      networks: [{ lvid: n, vni: 1001 }],
    });
    const port = `${n}f8a1c2d-3e`;
    const vmMac = `fa:16:3e:00:00:0${n}`;
    const tap = host.addTap(`tap${port}`, { mtu: 1450 });
    const qbr = host.addBridge(`qbr${port}`, { ageing: 0 });
    const [qvb, qvo] = host.addVeth(`qvb${port}`, `qvo${port}`, { mtu: 1450 });
    for (const d of [tap, qbr, qvb, qvo]) d.setUp(true);
    qbr.addPort(tap);
    qbr.addPort(qvb);
    nb.plugPort({ name: `qvo${port}`, lvid: n, mac: vmMac, ips: [`10.0.0.${4 + n}`] });
    const vm = host.addNamespace(`vm${n}`);
    const eth0 = attachNamespaceAsGuest(tap, vm, mac(vmMac), 1450);
    vm.addAddress(eth0, `10.0.0.${4 + n}/24`);
    return { host, eth1, vm };
  };
  return { sched, a: mk('compute1', 1), b: mk('compute2', 2) };
}

test('tshark decodes the captured ICMP echo inside VXLAN completely', {
  skip: !hasTshark && 'tshark not installed',
}, () => {
  const { sched, a } = twoHosts();
  const cap = new PcapCapture(a.eth1, { direction: 'tx' });
  const events: PingEvent[] = [];
  const sock = a.vm.openPing((e) => events.push(e), 0x1234);
  sock.send(ip('10.0.0.6'), 7);
  sched.runFor(1e9);
  cap.stop();
  assert.equal(events[0]?.kind, 'reply');
  const dir = mkdtempSync(join(tmpdir(), 'pocketstack-dp-'));
  try {
    const file = join(dir, 'eth1.pcap');
    writeFileSync(file, cap.file());
    const fields = [
      'ip.src',
      'ip.dst',
      'udp.dstport',
      'vxlan.vni',
      'eth.src',
      'eth.dst',
      'icmp.type',
      'icmp.ident',
      'icmp.seq',
    ];
    const r = spawnSync(
      'tshark',
      [
        '-n',
        '-r',
        file,
        '-o',
        'ip.check_checksum:TRUE',
        '-Y',
        'icmp',
        '-T',
        'fields',
        ...fields.flatMap((f) => ['-e', f]),
      ],
      { encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
    const rows = r.stdout
      .trim()
      .split('\n')
      .map((l) => l.split('\t'));
    assert.equal(rows.length, 1, r.stdout);
    const [ipSrc, ipDst, dport, vni, ethSrc, ethDst, type, ident, seq] = rows[0];
    assert.equal(ipSrc, '192.168.136.11,10.0.0.5');
    assert.equal(ipDst, '192.168.136.12,10.0.0.6');
    assert.equal(dport, '4789');
    assert.equal(vni, '1001');
    assert.equal(ethSrc.split(',')[0], a.eth1.macString);
    assert.equal(ethSrc.split(',')[1], 'fa:16:3e:00:00:01');
    assert.equal(ethDst.split(',')[1], 'fa:16:3e:00:00:02');
    assert.deepEqual([type, ident, seq], ['8', String(0x1234), '7']);
    const verbose = spawnSync('tshark', ['-n', '-r', file, '-o', 'ip.check_checksum:TRUE', '-V'], {
      encoding: 'utf8',
    });
    assert.doesNotMatch(verbose.stdout, /Malformed|Checksum Status: Bad/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
