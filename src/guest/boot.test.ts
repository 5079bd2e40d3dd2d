// A CirrOS guest's boot on a small kernel topology (GuestLab: a bridge, a qdhcp stand-in with a
// DHCP responder, a router namespace): the console log with and without a DHCP server, the lease
// applied to eth0, the renewal at T1, config drive, power actions.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RealtimeDriver } from '../sim/pacing.js';
import { golden } from './golden.js';
import { GuestLab } from './lab.js';

const VM1 = 'fa:16:3e:2b:7c:11';
const VM2 = 'fa:16:3e:2b:7c:12';

function lab() {
  const l = new GuestLab(7);
  l.network('net1', '10.0.0.0/24', '10.0.0.1');
  const dhcp = l.namespace('qdhcp-1', 'net1', '10.0.0.2/24');
  l.dhcpServer(dhcp, 'net1', { [VM1]: '10.0.0.5', [VM2]: '10.0.0.6' });
  l.namespace('qrouter-1', 'net1', '10.0.0.1/24');
  return l;
}

test('with a DHCP server the boot log shows the lease, eth0 gets the MAC, address and MTU 1450', () => {
  const l = lab();
  const g = l.guest('vm1', 'net1', VM1);
  assert.equal(g.state, 'shut off');
  assert.equal(g.console.text, '');
  g.boot();
  assert.equal(g.state, 'running');
  assert.ok(l.bootAll([g]));
  const log = g.console.text;
  golden('boot-lease', log);
  for (const line of [
    'udhcpc (v1.20.1) started',
    'Sending discover...',
    'Sending select for 10.0.0.5...',
    'Lease of 10.0.0.5 obtained, lease time 86400',
    'route: SIOCADDRT: File exists',
    'WARN: failed: route add -net "0.0.0.0/0" gw "10.0.0.1"',
    'checking http://169.254.169.254/2009-04-04/instance-id',
    'failed 20/20: up 229.18. request failed',
    'failed to read iid from metadata. tried 20',
    'if-info: eth0,up,10.0.0.5,24,fe80::f816:3eff:fe2b:7c11',
    'ip-route:169.254.169.254 via 10.0.0.1 dev eth0 ',
    '=== datasource: None None ===',
    "login as 'cirros' user. default password: 'cubswin:)'. use 'sudo' for root.",
  ]) {
    assert.ok(log.includes(`${line}\n`), `missing: ${line}`);
  }
  assert.ok(log.endsWith('cirros login: '));
  // the gateway answered the status block's ping: no debug dump
  assert.ok(!log.includes('pinging gateway failed'));
  const eth0 = g.os!.eth0;
  assert.equal(eth0.macString, VM1);
  assert.equal(eth0.mtu, 1450);
  assert.equal(l.addressOf(g), '10.0.0.5');
  assert.equal(l.exec(g, 'cat /etc/resolv.conf').output, 'search openstacklocal\nnameserver 10.0.0.2\n');
  // console log tail as `openstack console log show --lines 2`
  assert.equal(
    g.console.tail(2),
    "login as 'cirros' user. default password: 'cubswin:)'. use 'sudo' for root.\ncirros login: ",
  );
});

test('without a DHCP server: three DISCOVERs 60 s apart, "No lease, failing", metadata fails at once, debug dump', () => {
  const l = new GuestLab(7);
  l.network('net1', '10.0.0.0/24', '10.0.0.1');
  const g = l.guest('vm1', 'net1', VM1);
  g.boot();
  let waited = '';
  g.whenBooted(() => (waited = 'booted'), { timeout: 60e9, onTimeout: () => (waited = 'timeout') });
  l.sched.runFor(61e9);
  assert.equal(waited, 'timeout', 'still in udhcpc after 60 s');
  assert.ok(l.bootAll([g]));
  const log = g.console.text;
  golden('boot-nolease', log);
  assert.match(
    log,
    /Sending discover\.\.\.\nSending discover\.\.\.\nSending discover\.\.\.\nUsage: \/sbin\/cirros-dhcpc <up\|down>\nNo lease, failing\nWARN: \/etc\/rc3.d\/S40-network failed\n/,
  );
  // udhcpc -T 60: the network step alone takes three minutes; without a route the metadata tries are 2 s apart
  assert.match(log, /cirros-ds 'net' up at 181\.\d\d\n/);
  assert.match(log, /failed 2\/20: up 183\.\d\d\. request failed/);
  assert.ok(log.includes('=== pinging gateway failed, debugging connection ===\n'));
  assert.ok(log.includes('### gateway not found\n'));
  assert.equal(g.os!.eth0.mtu, 1500);
  assert.equal(l.addressOf(g), '');
  assert.ok(g.os!.eth0.adminUp, 'udhcpc deconfig brought eth0 up');
});

test('udhcpc renews at T1 = lease/2 with a unicast REQUEST and keeps the address', () => {
  const l = lab();
  const g = l.guest('vm1', 'net1', VM1);
  assert.ok(l.bootAll([g]));
  const bootedAt = g.os!.bootAt;
  const before = g.console.text.length;
  l.sched.runUntil(() => g.console.text.includes('Sending renew...'), 50000e9);
  l.sched.runFor(1e9);
  const renew = g.console.text.slice(before);
  assert.ok(renew.startsWith('Sending renew...\nLease of 10.0.0.5 obtained, lease time 86400\n'), renew);
  // the lease was obtained ~1.2 s after power-on; T1 is 43200 s later
  const t1 = (l.sched.now - bootedAt) / 1e9;
  assert.ok(t1 > 43200 && t1 < 43210, String(t1));
  assert.equal(l.addressOf(g), '10.0.0.5');
  assert.equal(g.os!.dhcp.get('eth0')?.state, 'bound');
});

test('a config drive gives the datasource locally: hostname, no metadata wait, status block', () => {
  const l = lab();
  const g = l.guest('vm1', 'net1', VM1, { configDrive: true, uuid: 'd3b07384-d9a0-4c9b-8f3e-3f3c2f8e2a11' });
  assert.ok(l.bootAll([g], 30));
  const log = g.console.text;
  assert.ok(log.includes("cirros-ds 'local' up at"));
  assert.ok(log.includes('found datasource (configdrive, local)\n'));
  assert.ok(!log.includes('checking http://169.254.169.254'));
  assert.ok(
    log.includes(
      '=== datasource: configdrive local ===\ninstance-id: d3b07384-d9a0-4c9b-8f3e-3f3c2f8e2a11\nname: vm1\n',
    ),
  );
  assert.ok(log.includes('local-hostname: vm1.novalocal\n'));
  assert.ok(log.endsWith('vm1 login: '));
  assert.equal(l.exec(g, 'hostname').output, 'vm1\n');
  assert.ok(l.sched.now < 10e9, 'boots in seconds');
});

test('shutdown releases the lease and powers off; reboot boots again; destroy is immediate', () => {
  const l = lab();
  const g = l.guest('vm1', 'net1', VM1, { configDrive: true });
  const g2 = l.guest('vm2', 'net1', VM2, { configDrive: true });
  assert.ok(l.bootAll([g, g2], 30));
  const tap = g.opts.tap!;
  assert.ok(tap.carrier);
  let done = false;
  g.shutdown(() => (done = true));
  assert.equal(g.state, 'in shutdown');
  l.sched.runFor(3e9);
  assert.ok(done);
  assert.equal(g.state, 'shut off');
  assert.equal(g.os, null);
  assert.ok(!tap.carrier, 'the tap lost its guest');
  assert.match(
    g.console.text,
    /The system is going down NOW!\nSent SIGTERM to all processes\nReceived SIGTERM\nUnicasting a release of 10\.0\.0\.5 to 10\.0\.0\.2\nEntering released state\nSent SIGKILL to all processes\nRequesting system poweroff\n\[ +\d+\.\d{6}\] Power down\.\n$/,
  );
  // nothing answers for it any more
  assert.match(l.exec(g2, 'ping -c 2 -W 2 10.0.0.5').output, /100% packet loss/);
  assert.equal(l.exec(g, 'hostname').code, 255);
  g.boot();
  assert.ok(l.bootAll([g], 30));
  assert.ok(g.console.text.includes('GROWROOT: NOCHANGE'));
  assert.ok(g.console.text.includes('Starting dropbear sshd: OK\n'));
  assert.match(l.exec(g2, 'ping -c 1 10.0.0.5').output, /1 packets received/);
  g.reboot({ hard: true });
  assert.equal(g.state, 'running');
  assert.ok(!g.isBooted);
  assert.ok(l.bootAll([g], 30));
  g.destroy();
  assert.equal(g.state, 'shut off');
});

test('CirrOS 0.5 images print busybox 1.29 texts and the 0.5 banner', () => {
  const l = lab();
  const g = l.guest('vm1', 'net1', VM1, { image: 'cirros-0.5.2-x86_64-disk', configDrive: true });
  assert.ok(l.bootAll([g], 30));
  const log = g.console.text;
  assert.ok(log.includes('Starting network: udhcpc: started, v1.29.3\nudhcpc: sending discover\n'));
  assert.ok(log.includes('udhcpc: lease of 10.0.0.5 obtained, lease time 86400\n'));
  assert.ok(log.includes('=== cirros: current=0.5.2 uptime='));
  assert.ok(log.includes("default password: 'gocubsgo'"));
  assert.ok(log.includes('ip-route:10.0.0.0/24 dev eth0 scope link  src 10.0.0.5 \n'));
  assert.ok(log.includes('if-info: lo,up,127.0.0.1,8,,\n'));
});

test('under real-time pacing the boot and a command follow the wall clock (guest.run resolves)', async () => {
  const l = lab();
  const g = l.guest('vm1', 'net1', VM1, { configDrive: true });
  const driver = new RealtimeDriver(l.sched, { speed: 20 });
  driver.start();
  try {
    g.boot();
    await new Promise<void>((resolve) => g.whenBooted(resolve));
    const t0 = performance.now();
    const r = await g.run('ping -c 2 10.0.0.1');
    const wall = performance.now() - t0;
    assert.equal(r.code, 0);
    assert.match(r.output, /2 packets transmitted, 2 packets received/);
    // one second of virtual time between the two echoes: ~50 ms of wall time at speed 20
    assert.ok(wall > 30 && wall < 5000, String(wall));
  } finally {
    driver.stop();
  }
});

test('a metadata service that answers: the EC2 datasource is found and names the guest', () => {
  const l = lab();
  const md: Record<string, string> = {
    'meta-data/instance-id': 'i-00000001',
    'meta-data/local-hostname': 'vm1.novalocal',
    'meta-data/hostname': 'vm1.novalocal',
    'meta-data/placement/availability-zone': 'nova',
    'meta-data/ami-launch-index': '0',
    'meta-data/local-ipv4': '10.0.0.5',
    'meta-data/instance-type': 'm1.tiny',
  };
  const urls: string[] = [];
  const g = l.guest('vm1', 'net1', VM1, {
    metadata: {
      get(os, url, done) {
        urls.push(url);
        // a first request lost while the route is fresh, then answers 2 ms later
        const body =
          urls.length === 1 ? null : (md[url.replace('http://169.254.169.254/2009-04-04/', '')] ?? null);
        os.after(2e6, () => done(body));
      },
    },
  });
  assert.ok(l.bootAll([g], 30));
  const log = g.console.text;
  assert.match(
    log,
    /checking http:\/\/169\.254\.169\.254\/2009-04-04\/instance-id\nfailed 1\/20: up \d+\.\d\d\. request failed\nsuccessful after 2\/20 tries: up \d+\.\d\d\. iid=i-00000001\n/,
  );
  assert.ok(log.includes('warning: no ec2 metadata for public-keys\n'));
  assert.ok(log.includes('found datasource (ec2, net)\n'));
  assert.ok(
    log.includes(
      '=== datasource: ec2 net ===\ninstance-id: i-00000001\nname: N/A\navailability-zone: nova\nlocal-hostname: vm1.novalocal\nlaunch-index: 0\n',
    ),
  );
  assert.ok(log.endsWith('vm1 login: '));
});
