// The libvirt driver on an emulated all-in-one host, on a fixed seed and clock: what spawn leaves
// on the host as the host tools print it (golden files), the guest behind the tap, the ARP of a
// guest's ping on the tap, power off/on, the over-commit failure leaving nothing behind, destroy
// leaving nothing, and adopt after a restart rebuilding the same devices.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { hostExec } from '../../cli/host-tools/index.js';
import { registerHostTool } from '../../cli/host-tools/tool.js';
import { virsh } from '../../cli/host-tools/virsh.js';
import { goldenIn } from '../../guest/golden.js';
import { HostMemory } from '../../kernel/memory.js';
import { allInOne } from '../../sim/layout.js';
import { World } from '../../world/world.js';
import { LibvirtError } from './driver.js';
import { LIBVIRT_PART } from './libvirt.js';
import { LibvirtDriver } from './libvirt-driver.js';
import { SAMPLE_PORT_ID, sampleInstance, samplePort } from './sample-instance.js';

const golden = goldenIn(new URL('../../../../src/agents/nova-compute/testdata/', import.meta.url).pathname);
const EPOCH_MS = Date.UTC(2026, 10, 26, 8, 0, 0);
const S = 1e9;

const PORT_ID = SAMPLE_PORT_ID;
const S11 = PORT_ID.slice(0, 11);
const instance = sampleInstance();
const port = samplePort();

function setup(memory?: HostMemory) {
  const dataDir = mkdtempSync(join(tmpdir(), 'pocketstack-libvirt-'));
  const world = new World(allInOne(), { seed: 7, pacing: 'manual', epochMs: EPOCH_MS, dataDir });
  const wh = world.host('localhost')!;
  const driver = new LibvirtDriver({
    host: wh.kernel,
    ovs: wh.vswitchd,
    memory: memory ?? wh.memory,
    sched: world.sched,
    now: () => new Date(world.wallMs()),
  });
  wh.attach(LIBVIRT_PART, driver.libvirt);
  registerHostTool('virsh', virsh);
  const sh = async (...argv: string[]) => {
    let out = '';
    let err = '';
    const code = await hostExec(world, 'localhost', argv, {
      stdout: (t) => {
        out += t;
      },
      stderr: (t) => {
        err += t;
      },
      tty: false,
      signal: new AbortController().signal,
      readStdin: async () => '',
    });
    return { code, out, err };
  };
  const tool = async (...argv: string[]) => {
    const r = await sh(...argv);
    assert.equal(r.code, 0, `${argv.join(' ')}: ${r.err}`);
    return r.out;
  };
  return { world, wh, driver, sh, tool, cleanup: () => rmSync(dataDir, { recursive: true, force: true }) };
}

describe('LibvirtDriver', () => {
  const cleanups: (() => void)[] = [];
  after(() => {
    for (const c of cleanups) c();
  });

  it('spawns: the hybrid plug, the domain and a booted guest, as the host tools show them', async () => {
    const { world, driver, tool, sh, cleanup } = setup();
    cleanups.push(cleanup);
    const d = { instance, ports: [port], powerState: 0 };
    driver.spawn(d);
    world.sched.runFor(300 * S);
    golden('virsh-list-all', await tool('virsh', 'list', '--all'));
    golden('virsh-dumpxml', await tool('virsh', 'dumpxml', 'instance-00000001'));
    assert.equal(await tool('virsh', 'dumpxml', '1'), await tool('virsh', 'dumpxml', instance.uuid));
    golden('virsh-domiflist', await tool('virsh', 'domiflist', 'instance-00000001'));
    golden('virsh-dominfo', await tool('virsh', 'dominfo', 'instance-00000001'));
    golden('virsh-domblklist', await tool('virsh', 'domblklist', 'instance-00000001'));
    assert.match((await sh('virsh', 'console', '1')).err, /use pocketstack vm console cirros-vm1\n$/);
    golden('brctl-show', await tool('brctl', 'show'));
    golden('ovs-vsctl-show', await tool('ovs-vsctl', 'show'));
    golden('ip-br-link', await tool('ip', '-br', 'link'));
    golden('ifconfig-tap', await tool('ifconfig', `tap${S11}`));
    golden('free-m', await tool('free', '-m'));
    assert.deepEqual(await sh('virsh', 'dumpxml', 'nope'), {
      code: 1,
      out: '',
      err: "error: failed to get domain 'nope'\n",
    });
    assert.deepEqual(await sh('virsh', 'dominfo'), {
      code: 1,
      out: '',
      err: "error: command 'dominfo' requires <domain> option\n",
    });
    assert.equal((await sh('virsh', 'frobnicate')).err, "error: unknown command: 'frobnicate'\n");

    const guest = driver.libvirt.byName('instance-00000001')!.guest;
    assert.ok(guest.isBooted);
    const log = driver.consoleLog(d);
    assert.match(log[0], /^\[ {4}0\.000000\] /);
    assert.equal(log.at(-1), 'cirros-vm1 login: ');

    // the guest's eth0 carries the port's MAC (its MTU comes with a DHCP lease: none here)
    const running = guest.run('ip link show eth0');
    world.sched.runFor(S);
    assert.match((await running).output, / mtu 1500 [\s\S]*link\/ether fa:16:3e:2b:7c:11 /);

    // a ping from the guest ARPs for the gateway on the tap, with the guest's MAC
    const capture = tool('tcpdump', '-i', `tap${S11}`, '-c', '2', '-nn', '-e');
    const before = (await tool('ip', '-s', 'link', 'show', `tap${S11}`)).trim();
    const ping = guest.run('ifconfig eth0 172.16.10.5 netmask 255.255.255.0 && ping -c 1 -W 1 172.16.10.1');
    world.sched.runFor(5 * S);
    assert.match((await ping).output, /1 packets transmitted, 0 packets received, 100% packet loss/);
    golden('tcpdump-tap-arp', await capture);
    assert.notEqual((await tool('ip', '-s', 'link', 'show', `tap${S11}`)).trim(), before);

    // paused: nothing reads the tap, frames towards the guest are dropped there (seen from the host)
    await tool('ip', 'addr', 'add', '172.16.10.100/24', 'dev', `qbr${S11}`);
    driver.pause(d);
    assert.match(await tool('virsh', 'list'), /^ 1 {4}instance-00000001 {3}paused$/m);
    const tapDev = world.host('localhost')!.kernel.device(`tap${S11}`)!;
    const dropped = tapDev.txDropped;
    const lost = sh('ping', '-c', '1', '-W', '1', '172.16.10.5');
    world.sched.runFor(3 * S);
    assert.match((await lost).out, /100% packet loss/);
    assert.ok(tapDev.txDropped > dropped);
    driver.unpause(d);
    assert.match(await tool('virsh', 'list'), /^ 1 {4}instance-00000001 {3}running$/m);
    const answered = sh('ping', '-c', '1', '-W', '1', '172.16.10.5');
    world.sched.runFor(3 * S);
    assert.match((await answered).out, / 0% packet loss/);
    await tool('ip', 'addr', 'del', '172.16.10.100/24', 'dev', `qbr${S11}`);

    // clean power off, then on: the domain keeps its definition, gets a new id
    const off = driver.powerOff(d);
    world.sched.runFor(5 * S);
    await off;
    assert.match(await tool('virsh', 'list', '--all'), /^ - {4}instance-00000001 {3}shut off$/m);
    // qemu is gone and its tap with it; the qbr keeps qvb
    assert.match(await tool('brctl', 'show'), new RegExp(`\\tno\\t\\tqvb${S11}\\n$`));
    driver.powerOn(d);
    assert.match(await tool('virsh', 'list'), /^ 2 {4}instance-00000001 {3}running$/m);
    assert.match(await tool('brctl', 'show'), new RegExp(`\\tqvb${S11}\\n\\t{7}tap${S11}\\n$`));
    world.sched.runFor(200 * S);
    const again = guest.run('hostname');
    world.sched.runFor(S);
    assert.equal((await again).output, 'cirros-vm1\n');

    driver.destroy(d);
    assert.equal(await tool('brctl', 'show'), 'bridge name\tbridge id\t\tSTP enabled\tinterfaces\n');
    assert.equal(await tool('virsh', 'list', '--all'), ' Id   Name   State\n--------------------\n\n');
    assert.doesNotMatch(await tool('ip', '-br', 'link'), /tap|qbr|qvb|qvo/);
    assert.equal(await tool('ovs-vsctl', 'list-ports', 'br-int'), '');
  });

  it('over-commit: qemu cannot map the guest RAM; destroy then leaves nothing', async () => {
    const mem = new HostMemory(6144, 5120);
    const { driver, wh, tool, cleanup } = setup(mem);
    cleanups.push(cleanup);
    const d1 = { instance, ports: [port], powerState: 0 };
    driver.spawn(d1);
    const d2 = {
      instance: {
        ...instance,
        uuid: '5a6b7c8d-0000-4000-8000-000000000002',
        instanceName: 'instance-00000002',
      },
      ports: [{ ...port, id: '7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d', macAddress: 'fa:16:3e:00:00:02' }],
      powerState: 0,
    };
    assert.throws(
      () => driver.spawn(d2),
      (e: Error) =>
        e instanceof LibvirtError &&
        /^internal error: qemu unexpectedly closed the monitor: \S+ qemu-kvm: cannot set up guest memory 'pc\.ram': Cannot allocate memory$/.test(
          e.message,
        ),
    );
    driver.destroy(d2);
    assert.doesNotMatch(await tool('ip', '-br', 'link'), /7a8b9c0d-1e/);
    assert.match(await tool('virsh', 'list', '--all'), /^ 1 {4}instance-00000001 {3}running\n\n$/m);
    assert.equal(wh.memory.count, 0, 'the world memory is not the one given');
    assert.equal(mem.count, 1);
  });

  it('a domain started paused (Nova waiting for network-vif-plugged) boots on unpause', async () => {
    const { world, driver, tool, cleanup } = setup();
    cleanups.push(cleanup);
    const d = { instance, ports: [port], powerState: 0 };
    driver.spawn(d, { paused: true });
    world.sched.runFor(10 * S);
    assert.match(await tool('virsh', 'list'), /^ 1 {4}instance-00000001 {3}paused$/m);
    assert.deepEqual(driver.consoleLog(d), []);
    assert.match(await tool('brctl', 'show'), new RegExp(`tap${S11}`));
    driver.unpause(d);
    world.sched.runFor(S);
    assert.match(await tool('virsh', 'list'), /^ 1 {4}instance-00000001 {3}running$/m);
    assert.match(driver.consoleLog(d)[0], /Initializing cgroup subsys cpuset/);
  });

  it('adopt after a restart rebuilds the same devices and domain', async () => {
    const { world, driver, tool, cleanup } = setup();
    cleanups.push(cleanup);
    const d = { instance, ports: [port], powerState: 0 };
    assert.deepEqual(driver.adopt(d, true), { powerState: 1, started: true });
    world.sched.runFor(300 * S);
    assert.match(
      await tool('brctl', 'show'),
      new RegExp(`^qbr${S11}\\t\\t8000\\.[0-9a-f]{12}\\tno\\t\\tqvb${S11}\\n\\t{7}tap${S11}\\n`, 'm'),
    );
    assert.match(await tool('virsh', 'list'), /^ 1 {4}instance-00000001 {3}running$/m);
    assert.deepEqual(
      driver.adopt(d, true),
      { powerState: 1, started: false },
      'a second adopt finds the running domain',
    );
    assert.equal(
      driver.adopt(
        { ...d, instance: { ...instance, uuid: 'x', instanceName: 'instance-00000009' }, ports: [] },
        false,
      ).powerState,
      4,
    );
    assert.match(await tool('virsh', 'list', '--all'), /^ - {4}instance-00000009 {3}shut off$/m);
  });
});
