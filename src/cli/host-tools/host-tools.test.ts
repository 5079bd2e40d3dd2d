// Host tools over a fixed two-host scenario (test-scenario.ts): golden files for each tool's
// output (formats from reference/host-tools.md and the real Debian 12 tools), and behaviour a
// user notices (a device made by hand shows up, `ip link set down` stops a ping, tcpdump sees a
// ping, pipes into grep/head/wc).
process.env.TZ = 'UTC';

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { formatFrame } from './packet-print.js';
import { captureUs, tcpdumpTime } from './tcpdump.js';
import { advance, PORT, ROUTER_NS, run, scenario, start } from './test-scenario.js';

const here = new URL('../../../../src/cli/host-tools/testdata/', import.meta.url).pathname;
const update = process.env.UPDATE_GOLDEN === '1';

function golden(name: string, actual: string): void {
  const path = join(here, `${name}.golden`);
  if (update || !existsSync(path)) {
    mkdirSync(here, { recursive: true });
    writeFileSync(path, actual);
    return;
  }
  assert.equal(actual, readFileSync(path, 'utf8'), `golden ${name} (UPDATE_GOLDEN=1 to accept)`);
}

const NS = `ip netns exec ${ROUTER_NS}`;

test('host tools print the emulated state in the real formats (golden files)', async () => {
  const s = scenario();
  const w = s.world;
  const out = async (host: string, cmd: string, code = 0) => {
    const r = await run(w, host, cmd);
    assert.equal(r.code, code, `${cmd}: ${r.stderr}`);
    return r.stdout;
  };
  // before any traffic
  golden('brctl-show', await out('compute1', 'brctl show'));
  golden('ovs-vsctl-show', await out('compute1', 'ovs-vsctl show'));
  golden('ip-addr', await out('compute1', 'ip addr'));
  golden('ip-br-link', await out('compute1', 'ip -br link'));
  golden('ip-br-addr', await out('compute1', 'ip -br addr'));
  golden('ip-d-link-qvb', await out('compute1', `ip -d link show qvb${PORT}`));
  golden('ip-route', await out('compute1', 'ip route'));
  golden('ip-netns', await out('controller', 'ip netns'));
  golden('netns-ip-addr', await out('controller', `${NS} ip a`));
  golden('netns-ip-route', await out('controller', `${NS} ip route`));
  golden('netns-iptables-nat-S', await out('controller', `${NS} iptables -t nat -S`));
  golden('netns-iptables-save', await out('controller', `${NS} iptables-save -t nat`));
  golden('netns-iptables-L', await out('controller', `${NS} iptables -t nat -L -n -v`));
  golden('free-m', await out('compute1', 'free -m'));
  golden('free-g', await out('compute1', 'free -g'));
  golden('free-h', await out('compute1', 'free -h'));
  golden('uname-a', await out('compute1', 'uname -a'));
  golden('ifconfig-a', await out('compute1', 'ifconfig -a'));

  // a ping from the router to the VM, captured on the tap and (VXLAN) on compute1's NIC
  const onTap = start(w, 'compute1', `tcpdump -i tap${PORT} -c 6 -nn -e`);
  const onNic = start(w, 'compute1', 'tcpdump -i eth1 -c 3 -nn udp port 4789');
  const ping = await run(w, 'controller', `${NS} ping -c 2 10.0.0.5`);
  assert.equal(ping.code, 0, ping.stderr);
  golden('ping', ping.stdout);
  await advance(w, 1e9);
  onTap.interrupt();
  onNic.interrupt();
  const tap = await onTap.result;
  const nic = await onNic.result;
  golden('tcpdump-tap-e', tap.stdout);
  golden('tcpdump-tap-e.stderr', tap.stderr);
  golden('tcpdump-eth1-vxlan', nic.stdout);
  assert.match(
    tap.stdout,
    /ethertype ARP \(0x0806\), length 42: Request who-has 10\.0\.0\.5 tell 10\.0\.0\.1, length 28/,
  );
  assert.match(
    nic.stdout,
    /VXLAN, flags \[I\] \(0x08\), vni 1001\nIP 10\.0\.0\.1 > 10\.0\.0\.5: ICMP echo request/,
  );

  golden('ovs-ofctl-dump-flows-br-tun', await out('compute1', 'ovs-ofctl dump-flows br-tun'));
  golden(
    'ovs-ofctl-dump-flows-br-int-tty',
    (await run(w, 'compute1', 'ovs-ofctl dump-flows br-int', { tty: true })).stdout,
  );
  golden('ovs-appctl-fdb-show', await out('compute1', 'ovs-appctl fdb/show br-int'));
  golden('brctl-showmacs', await out('compute1', `brctl showmacs qbr${PORT}`));
  golden('ip-s-link-tap', await out('compute1', `ip -s link show tap${PORT}`));
  golden('ifconfig-tap', await out('compute1', `ifconfig tap${PORT}`));
  golden('netns-ip-neigh', await out('controller', `${NS} ip neigh`));
  golden('netns-conntrack', await out('controller', `${NS} conntrack -L`));
  golden('netns-arp-n', await out('controller', `${NS} arp -n`));
  golden('netns-route-n', await out('controller', `${NS} route -n`));
});

test('tcpdump output matches the real tcpdump reading the same frames (-w pcap)', async (t) => {
  const s = scenario();
  const w = s.world;
  const live = start(w, 'compute1', 'tcpdump -i eth1 -c 4 -nn -e');
  const frames: [number, Uint8Array][] = [];
  const stop = s.cmp.nic.capture((time, f) => {
    if (frames.length < 4) frames.push([time, f.slice()]);
  });
  const file = start(w, 'compute1', 'tcpdump -i eth1 -c 4 -w /tmp/eth1.pcap');
  await run(w, 'controller', `${NS} ping -c 2 10.0.0.5`);
  const ours = (await live.result).stdout;
  const saved = await file.result;
  stop();
  assert.equal(saved.stdout, '');
  assert.match(
    saved.stderr,
    /^tcpdump: listening on eth1, link-type EN10MB \(Ethernet\), snapshot length 262144 bytes\n4 packets captured\n/,
  );
  const path = s.cmp.diskPath('/tmp/eth1.pcap')!;
  const back = await run(w, 'compute1', 'tcpdump -nn -e -r /tmp/eth1.pcap');
  assert.equal(back.stdout, ours, 'tcpdump -r reads back what -w wrote');
  assert.equal(
    back.stderr,
    'reading from file /tmp/eth1.pcap, link-type EN10MB (Ethernet), snapshot length 262144\n',
  );
  assert.equal(
    (await run(w, 'compute1', 'tcpdump -r /tmp/none.pcap')).stderr,
    'tcpdump: /tmp/none.pcap: No such file or directory\n',
  );
  assert.ok(existsSync(path), 'pcap written under DIR/hosts/compute1/tmp');
  if (spawnSync('sh', ['-c', 'command -v tcpdump']).status !== 0) {
    t.skip('tcpdump is not installed');
    return;
  }
  const real = (flags: string[]) =>
    spawnSync('tcpdump', ['-r', path, ...flags], { env: { ...process.env, TZ: 'UTC' }, encoding: 'utf8' })
      .stdout;
  assert.equal(ours, real(['-nn', '-e']));
  // the other renderings, from the same frames: names (Broadcast, oui), -v's IP header lines
  for (const flags of [[], ['-e'], ['-v'], ['-n', '-e', '-v']]) {
    const o = { link: flags.includes('-e'), numeric: flags.includes('-n'), verbose: flags.includes('-v') };
    const text = frames
      .map(([time, f]) => `${tcpdumpTime(captureUs(w, time))} ${formatFrame(f, o)}\n`)
      .join('');
    assert.equal(text, real(flags), `tcpdump ${flags.join(' ')}`);
  }
});

test('a device made by hand shows up; ip link set down stops a ping; errors as the real tools', async () => {
  const s = scenario();
  const w = s.world;
  assert.equal((await run(w, 'compute1', 'ip link add dummy0 type dummy')).code, 0);
  const br = await run(w, 'compute1', ['ip', '-br', 'link']);
  assert.match(br.stdout, /^dummy0 {11}DOWN {11}[0-9a-f:]{17} <BROADCAST,MULTICAST> $/m);
  assert.equal(
    (await run(w, 'compute1', 'ip link add dummy0 type dummy')).stderr,
    'RTNETLINK answers: File exists\n',
  );
  assert.equal((await run(w, 'compute1', 'ovs-vsctl add-br br-test')).code, 0);
  assert.match((await run(w, 'compute1', 'ovs-vsctl list-br')).stdout, /^br-test$/m);

  // the ping stops getting answers once the qvo is down
  const ping = start(w, 'controller', `${NS} ping -c 5 10.0.0.5`);
  await advance(w, 2.5e9);
  assert.equal((await run(w, 'compute1', `ip link set qvo${PORT} down`)).code, 0);
  await advance(w, 20e9, () => ping.settled);
  const p = await ping.result;
  assert.equal(p.code, 0);
  assert.match(p.stdout, /icmp_seq=3 /);
  assert.doesNotMatch(p.stdout, /icmp_seq=[45] ttl/);
  assert.match(p.stdout, /5 packets transmitted, 3 received, 40% packet loss/);
  assert.match((await run(w, 'compute1', `ip -br link show qvb${PORT}`)).stdout, /LOWERLAYERDOWN/);

  const errors: [string, string, number, string][] = [
    ['compute1', 'nosuch -x', 127, 'bash: nosuch: command not found\n'],
    ['compute1', 'ip link show nosuch', 1, 'Device "nosuch" does not exist.\n'],
    ['compute1', 'ip link set nosuch up', 1, 'Cannot find device "nosuch"\n'],
    ['compute1', 'ip foo', 1, 'Object "foo" is unknown, try "ip help".\n'],
    ['compute1', 'ip route add 10.9.0.0/24 via 10.99.0.1', 2, 'Error: Nexthop has invalid gateway.\n'],
    ['compute1', 'ip route del 10.7.0.0/24', 2, 'RTNETLINK answers: No such process\n'],
    ['compute1', 'ip addr add 192.168.136.11/24 dev eth1', 2, 'Error: ipv4: Address already assigned.\n'],
    [
      'compute1',
      'ip netns exec nons ip a',
      1,
      'Cannot open network namespace "nons": No such file or directory\n',
    ],
    ['compute1', 'ifconfig nosuch', 1, 'nosuch: error fetching interface information: Device not found\n'],
    ['compute1', 'brctl show nosuch', 1, 'bridge nosuch does not exist!\n'],
    ['compute1', 'tcpdump -i nosuch', 1, 'tcpdump: nosuch: No such device exists\n(No such device exists)\n'],
    ['compute1', 'tcpdump -i eth1 hosst 1', 1, "tcpdump: can't parse filter expression: syntax error\n"],
    ['compute1', 'ping 10.99.0.1 -c 1', 0, ''],
    ['compute1', 'ping nosuchhost', 2, 'ping: nosuchhost: Temporary failure in name resolution\n'],
    ['compute1', 'ovs-ofctl dump-flows br-nope', 1, ''],
    ['compute1', 'cat /etc/nope', 1, 'cat: /etc/nope: No such file or directory\n'],
  ];
  for (const [host, cmd, code, stderr] of errors) {
    const r = await run(w, host, cmd, { advanceNs: 15e9 });
    if (cmd.startsWith('ping 10.99')) {
      // routed via the data network's gateway, which does not answer ARP
      assert.match(r.stdout, /From 192\.168\.136\.11 icmp_seq=1 Destination Host Unreachable/);
      continue;
    }
    assert.equal(r.code, code, `${cmd}: ${r.stderr}`);
    if (stderr !== '') assert.equal(r.stderr, stderr, cmd);
  }
});

test('pipelines, namespaces, files and memory', async () => {
  const s = scenario();
  const w = s.world;
  assert.equal((await run(w, 'compute1', 'ip -br link | grep -c tap')).stdout, '1\n');
  assert.equal((await run(w, 'compute1', 'ip -br link | wc -l')).stdout, '9\n');
  assert.equal((await run(w, 'compute1', "ip -br link | head -n 1 | grep -o '^lo'")).stdout, 'lo\n');
  assert.equal((await run(w, 'compute1', 'ip -br link | grep nothing')).code, 1);
  // a capture ended by `| head`: the reader closing the pipe stops tcpdump
  const cap = start(w, 'compute1', `tcpdump -l -nn -i tap${PORT} icmp | head -1`);
  await run(w, 'controller', `${NS} ping -c 3 10.0.0.5`);
  await advance(w, 1e9, () => cap.settled);
  assert.match(
    (await cap.result).stdout,
    /^\d\d:\d\d:\d\d\.\d{6} IP 10\.0\.0\.1 > 10\.0\.0\.5: ICMP echo request, id \d+, seq 1, length 64\n$/,
  );

  assert.equal(
    (await run(w, 'compute1', 'ip -4 -o addr show dev eth1')).stdout,
    '2: eth1    inet 192.168.136.11/24 brd 192.168.136.255 scope global eth1\\       valid_lft forever preferred_lft forever\n',
  );
  assert.match((await run(w, 'compute1', 'ip -o link show lo')).stdout, /qlen 1000\\ {4}link\/loopback /);
  assert.equal((await run(w, 'compute1', 'ip -6 -br addr show dev qbr6f8a1c2d-3e')).stdout, '');
  assert.deepEqual(await run(w, 'compute1', 'ipset list'), { code: 0, stdout: '', stderr: '' });
  assert.equal(
    (await run(w, 'compute1', 'ip -6 route show dev eth1')).stdout,
    'fe80::/64 proto kernel metric 256 pref medium\n',
  );
  const noProgram = await run(w, 'controller', `${NS} virsh list`);
  assert.equal(noProgram.code, 255);
  assert.equal(noProgram.stderr, 'exec of "virsh" failed: No such file or directory\n');

  assert.equal((await run(w, 'controller', 'ip netns add scratch')).code, 0);
  assert.match((await run(w, 'controller', 'ip netns')).stdout, /^scratch\nqrouter-/);
  assert.match((await run(w, 'controller', 'ip netns exec scratch ip -br a')).stdout, /^lo {15}DOWN {11}\n$/);
  assert.equal((await run(w, 'controller', 'ip netns exec scratch ip link set lo up')).code, 0);
  assert.match(
    (await run(w, 'controller', 'ip netns exec scratch ping -c 1 127.0.0.1')).stdout,
    /1 received/,
  );

  // /var/log/nova and /var/log/neutron are the data dir's logs of that host
  mkdirSync(join(s.dataDir, 'logs', 'compute1'), { recursive: true });
  writeFileSync(join(s.dataDir, 'logs', 'compute1', 'nova-compute.log'), 'one\ntwo\nthree\n');
  assert.equal((await run(w, 'compute1', 'cat /var/log/nova/nova-compute.log')).stdout, 'one\ntwo\nthree\n');
  assert.equal((await run(w, 'compute1', 'tail -n 1 /var/log/nova/nova-compute.log')).stdout, 'three\n');
  assert.equal((await run(w, 'compute1', 'cat /var/log/neutron/openvswitch-agent.log')).code, 0);
  s.cmp.files.register(
    '/var/lib/neutron/dhcp/x/host',
    () => 'fa:16:3e:2b:7c:11,host-10-0-0-5.openstacklocal,10.0.0.5\n',
  );
  assert.match((await run(w, 'compute1', 'cat /var/lib/neutron/dhcp/x/host')).stdout, /host-10-0-0-5/);

  assert.equal((await run(w, 'compute1', 'ls /var/log/nova')).stdout, 'nova-compute.log\n');
  assert.equal((await run(w, 'compute1', 'ls /var/log/neutron')).stdout, 'openvswitch-agent.log\n');
  assert.equal(
    (await run(w, 'controller', `${NS} sysctl net.ipv4.ip_forward`)).stdout,
    'net.ipv4.ip_forward = 1\n',
  );
  assert.equal(
    (await run(w, 'compute1', `sysctl -n net.ipv6.conf.qbr${PORT}.disable_ipv6`)).stdout,
    '1\n',
    'os-vif disables IPv6 on qbr',
  );
  assert.equal(
    (await run(w, 'compute1', 'sysctl net.ipv4.nope')).stderr,
    'sysctl: cannot stat /proc/sys/net/ipv4/nope: No such file or directory\n',
  );

  // the host's memory as nova-compute will take it
  assert.ok(s.cmp.memory.allocate('instance-00000001', 512));
  assert.match((await run(w, 'compute1', 'free -m')).stdout, /^Mem: +16384 +1536 /m);
  assert.equal(s.cmp.memory.allocate('big', 16384), false);
  s.cmp.memory.release('instance-00000001');
  assert.match((await run(w, 'compute1', 'free -m')).stdout, /^Mem: +16384 +1024 /m);
});

test('odd arguments to every tool end in an answer, never a crash', async () => {
  const s = scenario();
  const odd = [
    [],
    ['-'],
    ['--'],
    ['-x'],
    ['a'.repeat(40)],
    ['-c'],
    ['-i'],
    ['dev'],
    ['show', 'dev'],
    ['add'],
    ['set'],
    ['-s', '-s', '-d'],
  ];
  const tools = [
    'ip',
    'brctl',
    'ifconfig',
    'iptables',
    'ipset',
    'conntrack',
    'ovs-vsctl',
    'ovs-ofctl',
    'ovs-appctl',
    'ping',
    'tcpdump',
    'free',
    'hostname',
    'uname',
    'cat',
    'tail',
    'arp',
    'route',
    'sysctl',
    'ls',
  ];
  const ipObjects = ['link', 'addr', 'route', 'neigh', 'netns'];
  const lines = [
    ...tools.flatMap((t) => odd.map((a) => [t, ...a])),
    ...ipObjects.flatMap((o) => odd.map((a) => ['ip', o, ...a])),
    ...ipObjects.flatMap((o) => odd.map((a) => ['ip', o, 'add', ...a])),
  ];
  for (const argv of lines) {
    const r = await run(s.world, 'compute1', argv, { advanceNs: 12e9 });
    assert.equal(typeof r.code, 'number');
    assert.doesNotMatch(
      r.stderr + r.stdout,
      /TypeError|ReferenceError|undefined|NaN|Cannot read/,
      argv.join(' '),
    );
  }
});

test('tail -f prints what is appended until interrupted', async () => {
  const s = scenario();
  let text = 'first\n';
  s.cmp.files.register('/var/log/test.log', () => text);
  const t = start(s.world, 'compute1', 'tail -f /var/log/test.log');
  await new Promise((r) => setTimeout(r, 50));
  text += 'second\n';
  await new Promise((r) => setTimeout(r, 400));
  t.interrupt();
  const r = await t.result;
  assert.equal(r.stdout, 'first\nsecond\n');
  assert.equal(r.code, 130);
});
