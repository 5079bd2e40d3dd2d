// The guest's busybox shell over the emulated packets: two networks joined by a router namespace,
// a qdhcp stand-in per network, three guests. Every command's output is kept in a golden
// transcript (fixed seed: RTTs and MACs replay exactly); behaviour a user notices is asserted too.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openConsole } from './console.js';
import { golden } from './golden.js';
import { GuestLab } from './lab.js';

const VM1 = 'fa:16:3e:2b:7c:11';
const VM2 = 'fa:16:3e:2b:7c:12';
const VM3 = 'fa:16:3e:5d:00:05';

function world() {
  const l = new GuestLab(11);
  l.network('net1', '10.0.0.0/24', '10.0.0.1');
  l.network('net2', '10.0.1.0/24', '10.0.1.1');
  l.dhcpServer(l.namespace('qdhcp-1', 'net1', '10.0.0.2/24'), 'net1', {
    [VM1]: '10.0.0.5',
    [VM2]: '10.0.0.6',
  });
  l.dhcpServer(l.namespace('qdhcp-2', 'net2', '10.0.1.2/24'), 'net2', { [VM3]: '10.0.1.5' });
  const router = l.namespace('qrouter-1', 'net1', '10.0.0.1/24');
  l.namespace('qrouter-1', 'net2', '10.0.1.1/24');
  router.setSysctl('net.ipv4.ip_forward', '1');
  const vm1 = l.guest('vm1', 'net1', VM1, { configDrive: true });
  const vm2 = l.guest('vm2', 'net1', VM2, { configDrive: true });
  const vm3 = l.guest('vm3', 'net2', VM3, { configDrive: true });
  assert.ok(l.bootAll([vm1, vm2, vm3], 60));
  return { l, vm1, vm2, vm3 };
}

test('busybox commands print their real formats (golden transcript) and act on the packets', () => {
  const { l, vm1, vm2 } = world();
  let transcript = '';
  const sh = (g: typeof vm1, line: string, user: 'root' | 'cirros' = 'cirros') => {
    const r = l.exec(g, line, user);
    transcript += `${g.name}${user === 'root' ? '#' : '$'} ${line}\n${r.output}[exit ${r.code}]\n`;
    return r;
  };
  const ping = sh(vm1, 'ping -c 3 10.0.0.6');
  assert.equal(ping.code, 0);
  assert.match(ping.output, /^PING 10\.0\.0\.6 \(10\.0\.0\.6\): 56 data bytes\n/);
  const times = [
    ...ping.output.matchAll(/64 bytes from 10\.0\.0\.6: seq=(\d) ttl=64 time=(\d+\.\d{3}) ms\n/g),
  ];
  assert.deepEqual(
    times.map((m) => m[1]),
    ['0', '1', '2'],
  );
  for (const m of times) assert.ok(Number(m[2]) > 0.1 && Number(m[2]) < 3, m[2]);
  assert.match(
    ping.output,
    /\n--- 10\.0\.0\.6 ping statistics ---\n3 packets transmitted, 3 packets received, 0% packet loss\nround-trip min\/avg\/max = \d+\.\d{3}\/\d+\.\d{3}\/\d+\.\d{3} ms\n$/,
  );
  // to a namespace (the qdhcp stand-in) and through the router (TTL 63 from another network)
  assert.match(sh(vm1, 'ping -c 1 10.0.0.2').output, /64 bytes from 10\.0\.0\.2: seq=0 ttl=64 /);
  assert.match(sh(vm1, 'ping -c 2 10.0.1.5').output, /64 bytes from 10\.0\.1\.5: seq=1 ttl=63 /);
  // nobody has the address: ARP fails, nothing is printed per packet, 100% loss, status 1
  const lost = sh(vm1, 'ping -c 2 10.0.0.99');
  assert.equal(lost.code, 1);
  assert.equal(
    lost.output,
    'PING 10.0.0.99 (10.0.0.99): 56 data bytes\n\n--- 10.0.0.99 ping statistics ---\n2 packets transmitted, 0 packets received, 100% packet loss\n',
  );
  // TTL 1 dies at the router (time exceeded is ignored by busybox ping)
  assert.match(
    sh(vm1, 'ping -c 1 -t 1 -W 1 10.0.1.5').output,
    /1 packets transmitted, 0 packets received, 100% packet loss/,
  );
  // 3000 data bytes: fragmented at MTU 1450, reassembled by the other guest, echoed back in fragments
  assert.match(sh(vm1, 'ping -c 1 -s 3000 10.0.1.5').output, /3008 bytes from 10\.0\.1\.5: seq=0 ttl=63 /);
  sh(vm1, 'ping -q -c 2 10.0.0.6');
  sh(vm1, 'ping -c 2 -s 8 10.0.0.6');
  sh(vm1, 'ip addr');
  sh(vm1, 'ip link');
  sh(vm1, 'ip route');
  sh(vm1, 'ip neigh');
  sh(vm1, 'route -n');
  sh(vm1, 'route');
  sh(vm1, 'arp -n');
  sh(vm1, 'ifconfig');
  sh(vm1, 'ifconfig eth0');
  sh(vm1, 'ifconfig eth9');
  const tr = sh(vm1, 'traceroute -n 10.0.1.5');
  assert.match(
    tr.output,
    /^traceroute to 10\.0\.1\.5 \(10\.0\.1\.5\), 30 hops max, 46 byte packets\n 1 {2}10\.0\.0\.1 {2}\d+\.\d{3} ms {2}\d+\.\d{3} ms {2}\d+\.\d{3} ms\n 2 {2}10\.0\.1\.5 {2}\d+\.\d{3} ms {2}\d+\.\d{3} ms {2}\d+\.\d{3} ms\n$/,
  );
  sh(vm1, 'traceroute 10.0.0.6');
  // an address nobody has on the subnet: ARP gives up after 3 s, later than -w 1 (silence); with the
  // default -w 5 the guest's own kernel reports host unreachable (!H), as Linux does
  const silent = sh(vm1, 'traceroute -n -m 3 -w 1 10.0.0.77');
  assert.match(silent.output, / 1 {2}\* {2}\* {2}\*\n 2 {2}\* {2}\* {2}\*\n 3 {2}\* {2}\* {2}\*\n$/);
  assert.match(
    sh(vm1, 'traceroute -n -q 2 10.0.0.77').output,
    / 1 {2}10\.0\.0\.5 {2}3\d{3}\.\d{3} ms !H {2}3\d{3}\.\d{3} ms !H\n$/,
  );
  sh(vm1, 'cat /etc/resolv.conf');
  sh(vm1, 'cat /etc/hostname /proc/version');
  sh(vm1, 'cat /etc/shadow');
  sh(vm1, 'hostname');
  sh(vm1, 'uname -a');
  sh(vm1, 'whoami; sudo whoami');
  assert.equal(sh(vm1, 'foo --bar').code, 127);
  assert.equal(sh(vm1, 'ping').code, 1);
  assert.equal(sh(vm1, 'ping nosuchhost').output, "ping: bad address 'nosuchhost'\n");
  // changing the address: refused to the cirros user, done as root; the other guest reaches the new one
  assert.equal(sh(vm1, 'ifconfig eth0 10.0.0.99').output, 'ifconfig: SIOCSIFADDR: Operation not permitted\n');
  assert.equal(sh(vm1, 'sudo ifconfig eth0 10.0.0.99 netmask 255.255.255.0').code, 0);
  assert.match(
    sh(vm1, 'ifconfig eth0').output,
    /inet addr:10\.0\.0\.99 {2}Bcast:10\.0\.0\.255 {2}Mask:255\.255\.255\.0\n/,
  );
  assert.match(sh(vm2, 'ping -c 1 10.0.0.99').output, /64 bytes from 10\.0\.0\.99: seq=0 ttl=64 /);
  assert.match(sh(vm2, 'ping -c 1 -W 2 10.0.0.5').output, /100% packet loss/);
  // Linux drops the routes of a device whose last address went (ifconfig changed it): no default
  // route any more, so sendto fails at once
  assert.match(
    sh(vm1, 'route -n').output,
    /Iface\n10\.0\.0\.0 +0\.0\.0\.0 +255\.255\.255\.0 +U +0 +0 +0 eth0\n$/,
  );
  sh(vm1, 'sudo route del default');
  assert.equal(
    sh(vm1, 'ping -c 1 8.8.8.8').output,
    'PING 8.8.8.8 (8.8.8.8): 56 data bytes\nping: sendto: Network is unreachable\n',
  );
  sh(vm1, 'sudo route add default gw 10.0.0.1');
  sh(vm1, 'sudo route add default gw 192.168.9.1');
  sh(vm1, 'sudo ip link set eth0 down; ip link show eth0; sudo ip link set eth0 up');
  golden('shell-transcript', transcript);
});

test('udhcpc from the shell re-runs DHCP and applies the lease again', () => {
  const { l, vm1 } = world();
  l.exec(vm1, 'ifconfig eth0 0.0.0.0');
  assert.equal(l.addressOf(vm1), '');
  const r = l.exec(vm1, 'udhcpc -i eth0');
  assert.equal(r.code, 0);
  assert.equal(
    r.output,
    'udhcpc (v1.20.1) started\nSending discover...\nSending select for 10.0.0.5...\nLease of 10.0.0.5 obtained, lease time 86400\n' +
      'route: SIOCADDRT: File exists\nWARN: failed: route add -net "0.0.0.0/0" gw "10.0.0.1"\n',
  );
  assert.equal(l.addressOf(vm1), '10.0.0.5');
  assert.equal(vm1.os!.eth0.mtu, 1450);
  const denied = l.exec(vm1, 'udhcpc', 'cirros');
  assert.equal(denied.code, 1);
  // an unknown MAC gets no answer: -n gives up after -t DISCOVERs -T seconds apart
  vm1.os!.eth0.setMac(Uint8Array.of(0xfa, 0x16, 0x3e, 9, 9, 9));
  const t0 = l.sched.now;
  const none = l.exec(vm1, 'udhcpc -n -t 2 -T 1');
  assert.equal(none.code, 1);
  assert.ok(
    (none.output as string).endsWith(
      'Sending discover...\nSending discover...\nUsage: /sbin/cirros-dhcpc <up|down>\nNo lease, failing\n',
    ),
  );
  assert.ok(l.sched.now - t0 >= 2e9);
});

test('ping -i, -w and Ctrl-C run on virtual time and print the statistics', () => {
  const { l, vm1 } = world();
  const t0 = l.sched.now;
  const fast = l.exec(vm1, 'ping -c 5 -i 0.2 10.0.0.6');
  assert.match(fast.output, /5 packets transmitted, 5 packets received/);
  assert.ok(l.sched.now - t0 < 1e9, 'five pings 0.2 s apart end within a second');
  const t1 = l.sched.now;
  const deadline = l.exec(vm1, 'ping -w 3 10.0.0.6');
  assert.match(deadline.output, /3 packets transmitted, 3 packets received/);
  assert.ok(Math.abs(l.sched.now - t1 - 3e9) < 1e6);
  // an interactive console: autologin, the prompt, Ctrl-C stops ping with its statistics
  let screen = '';
  const s = openConsole(vm1, { out: (t) => (screen += t), err: (t) => (screen += t) });
  l.sched.runFor(1e6);
  assert.equal(screen, '$ ');
  s.input('hostname\r');
  l.sched.runFor(1e6);
  assert.equal(screen, '$ hostname\nvm1\n$ ');
  s.input('ping 10.0.0.6\r');
  l.sched.runFor(2.5e9);
  s.input('\x03');
  l.sched.runFor(1e6);
  assert.match(
    screen,
    /\$ ping 10\.0\.0\.6\nPING 10\.0\.0\.6 \(10\.0\.0\.6\): 56 data bytes\n(64 bytes from 10\.0\.0\.6: seq=\d ttl=64 time=\d+\.\d{3} ms\n){3}\^C\n--- 10\.0\.0\.6 ping statistics ---\n3 packets transmitted, 3 packets received, 0% packet loss\nround-trip .*\n\$ $/,
  );
  // typing is echoed into the serial console log, as on a real ttyS0
  assert.ok(vm1.console.text.includes('$ hostname\nvm1\n'));
  // sudo -i: a root shell (`# `) until exit, then back to the user's; exit again logs out
  s.input('sudo -i\r');
  s.input('whoami\r');
  s.input('exit\r');
  l.sched.runFor(1e6);
  assert.ok((screen as string).endsWith('$ sudo -i\n# whoami\nroot\n# exit\n$ '));
  s.input('exit\r');
  l.sched.runFor(1e6);
  assert.ok(
    (screen as string).endsWith(
      "\nlogin as 'cirros' user. default password: 'cubswin:)'. use 'sudo' for root.\nvm1 login: ",
    ),
  );
  s.close();
  // getty's own login: wrong password, then the right one
  let screen2 = '';
  const s2 = openConsole(vm1, { out: (t) => (screen2 += t), err: () => {} }, { autologin: false });
  l.sched.runFor(1e6);
  s2.input('cirros\rwrong\r');
  s2.input('cirros\rcubswin:)\r');
  s2.input('echo hi\r');
  l.sched.runFor(1e6);
  assert.equal(
    screen2,
    "cirros\nPassword: \nLogin incorrect\n\nlogin as 'cirros' user. default password: 'cubswin:)'. use 'sudo' for root.\nvm1 login: cirros\nPassword: \n$ echo hi\nhi\n$ ",
  );
  s2.close();
});

test('a second NIC is eth1: down after boot, `udhcpc -i eth1` configures it', () => {
  const l = new GuestLab(3);
  l.network('net1', '10.0.0.0/24', '10.0.0.1');
  l.network('net2', '10.0.1.0/24', null);
  l.dhcpServer(l.namespace('qdhcp-1', 'net1', '10.0.0.2/24'), 'net1', { [VM1]: '10.0.0.5' });
  l.dhcpServer(l.namespace('qdhcp-2', 'net2', '10.0.1.2/24'), 'net2', { 'fa:16:3e:00:00:99': '10.0.1.9' });
  const tap2 = l.host.addTap('tapvm1-b', { mtu: 1450 });
  tap2.setUp(true);
  l.nets.get('net2')!.br.addPort(tap2);
  const vm = l.guest('vm1', 'net1', VM1, {
    configDrive: true,
    extraNics: [{ mac: 'fa:16:3e:00:00:99', tap: tap2 }],
  });
  assert.ok(l.bootAll([vm], 60));
  assert.match(l.exec(vm, 'ip link show eth1').output, /^3: eth1: <BROADCAST,MULTICAST> mtu 1500 /);
  const r = l.exec(vm, 'udhcpc -i eth1 -q');
  assert.match(r.output, /Lease of 10\.0\.1\.9 obtained, lease time 86400\n$/);
  assert.match(l.exec(vm, 'ping -c 1 10.0.1.2').output, /1 packets received/);
  // the isolated network sends no router: eth0's default route stays
  assert.match(l.exec(vm, 'ip route').output, /^default via 10\.0\.0\.1 dev eth0 \n/);
  vm.destroy();
  assert.ok(!tap2.carrier);
});

test('fragmentation needed from a router: the first echo is lost, the guest learns the path MTU and fragments', () => {
  const { l, vm1, vm3 } = world();
  // net2 runs at MTU 1000 (the router's leg and vm3), net1 at 1450
  const router = l.host.namespaces.get('qrouter-1')!;
  const leg = [...router.devices.values()].find((d) => d.addresses.some((a) => a.address === 0x0a000101))!;
  leg.setMtu(1000);
  assert.equal(l.exec(vm3, 'ifconfig eth0 mtu 1000').code, 0);
  const r = l.exec(vm1, 'ping -c 2 -s 1200 10.0.1.5');
  assert.match(
    r.output,
    /^PING 10\.0\.1\.5 \(10\.0\.1\.5\): 1200 data bytes\n1208 bytes from 10\.0\.1\.5: seq=1 ttl=63 time=/,
  );
  assert.match(r.output, /2 packets transmitted, 1 packets received, 50% packet loss\n/);
  assert.equal(vm1.os!.ns.pmtu.get(0x0a000105)?.mtu, 1000);
});
