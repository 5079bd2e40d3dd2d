// A compute host you can look into: `openstack server create` makes nova-compute's libvirt driver
// plug the port as os-vif's hybrid plug does and boot a CirrOS guest; the host tools (virsh,
// brctl, ovs-vsctl, ip, ifconfig, tcpdump) show it, `pocketstack vm exec` runs commands in the
// guest, `openstack console log show` prints its boot, and deleting the server leaves nothing.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { repoRoot, run, startTestCloud, type TestCloud } from './harness.js';
import { bootServer, seedNetwork, uploadImage } from './nova-fixtures.js';

const bin = join(repoRoot, 'bin/pocketstack');

describe('compute host: libvirt domains, hybrid VIFs and guests', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'pocketstack-compute-'));
  let cloud: TestCloud;
  let server: { id: string };
  let port: { id: string; mac_address: string; fixed_ips: { ip_address: string }[] };
  const ps = (...argv: string[]) => run(process.execPath, [bin, ...argv], {});
  const hostExec = async (...argv: string[]) => {
    const r = await ps('host', 'exec', '--data-dir', cloud.dataDir, 'localhost', '--', ...argv);
    assert.equal(r.code, 0, `${argv.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const vmExec = (...argv: string[]) =>
    ps('vm', 'exec', '--data-dir', cloud.dataDir, 'cirros-vm1', '--', ...argv);
  const json = async (args: string[]) => {
    const r = await cloud.openstack([...args, '-f', 'json']);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout);
  };

  before(async () => {
    cloud = await startTestCloud({ dataDir, ephemeral: false });
    await uploadImage(cloud);
    await seedNetwork(cloud);
    const r = await bootServer(cloud, 'cirros-vm1', { network: 'vxlan10', json: true });
    assert.equal(r.code, 0, r.stderr);
    server = JSON.parse(r.stdout);
    [port] = await json(['port', 'list', '--server', server.id, '--long']).then((ps: { ID: string }[]) =>
      Promise.all(ps.map((p) => json(['port', 'show', p.ID]))),
    );
  });
  after(async () => {
    await cloud?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('plugs one qbr/qvb/qvo/tap set named from the port id, as os-vif does', async () => {
    const s = port.id.slice(0, 11);
    const brctl = await hostExec('brctl', 'show');
    assert.match(
      brctl,
      new RegExp(`^qbr${s}\\t\\t8000\\.[0-9a-f]{12}\\tno\\t\\tqvb${s}\\n\\t{7}tap${s}\\n$`, 'm'),
    );
    assert.equal(brctl.split('\n').filter((l) => l.startsWith('qbr')).length, 1);
    const ext = await hostExec('ovs-vsctl', 'get', 'Interface', `qvo${s}`, 'external_ids');
    assert.match(ext, new RegExp(`iface-id="?${port.id}"?`));
    assert.match(ext, /iface-status=active/);
    assert.match(ext, new RegExp(`attached-mac="${port.mac_address}"`));
    assert.match(ext, new RegExp(`vm-uuid="?${server.id}"?`));
    assert.match(await hostExec('ovs-vsctl', 'list-ports', 'br-int'), new RegExp(`^qvo${s}$`, 'm'));
    for (const dev of ['tap', 'qbr', 'qvb', 'qvo'])
      assert.match(await hostExec('ip', 'link', 'show', `${dev}${s}`), / mtu 1450 /, dev);
    assert.match(
      await hostExec('ip', 'link', 'show', `tap${s}`),
      new RegExp(`link/ether fe${port.mac_address.slice(2)} `),
    );

    const list = await hostExec('virsh', 'list', '--all');
    assert.match(list, /^ Id {3}Name {16}State\n-{35}\n 1 {4}instance-0000000\d {3}running\n\n$/);
    const name = /instance-[0-9a-f]{8}/.exec(list)![0];
    const xml = await hostExec('virsh', 'dumpxml', name);
    assert.match(
      xml,
      new RegExp(
        `<interface type='bridge'>\\n {6}<mac address='${port.mac_address}'/>\\n {6}<source bridge='qbr${s}'/>\\n {6}<target dev='tap${s}'/>\\n {6}<model type='virtio'/>\\n {6}<mtu size='1450'/>`,
      ),
    );
    assert.match(xml, new RegExp(`<uuid>${server.id}</uuid>`));
    assert.match(xml, /<nova:name>cirros-vm1<\/nova:name>/);
    assert.match(xml, /<memory unit='KiB'>524288<\/memory>/);
    assert.match(
      await hostExec('virsh', 'domiflist', name),
      new RegExp(` tap${s}   bridge   qbr${s}   virtio   ${port.mac_address}\\n`),
    );
    const missing = await ps(
      'host',
      'exec',
      '--data-dir',
      cloud.dataDir,
      'localhost',
      '--',
      'virsh',
      'dumpxml',
      'nope',
    );
    assert.deepEqual([missing.code, missing.stderr], [1, "error: failed to get domain 'nope'\n"]);
  });

  it('boots the guest: console log, eth0 with the port MAC, a ping that ARPs on the tap', async () => {
    const addr = await vmExec('ip', 'addr', 'show', 'eth0');
    assert.equal(addr.code, 0, addr.stderr);
    assert.match(addr.stdout, new RegExp(`link/ether ${port.mac_address} brd ff:ff:ff:ff:ff:ff`));
    assert.match(addr.stdout, / mtu 1450 /);
    const hostname = await vmExec('hostname');
    assert.deepEqual([hostname.code, hostname.stdout], [0, 'cirros-vm1\n']);
    const missing = await vmExec('cat', '/nonexistent');
    assert.deepEqual(
      [missing.code, missing.stderr + missing.stdout],
      [1, "cat: can't open '/nonexistent': No such file or directory\n"],
    );
    assert.equal((await vmExec('frobnicate')).code, 127);
    const nobody = await ps('vm', 'exec', '--data-dir', cloud.dataDir, 'nobody', '--', 'hostname');
    assert.deepEqual(
      [nobody.code, nobody.stderr],
      [1, "pocketstack: No server with a name or ID of 'nobody' exists.\n"],
    );
    // the serial console, typed into from a pipe; Ctrl-] detaches as virsh console does
    const tty = await run(
      process.execPath,
      [bin, 'vm', 'console', '--data-dir', cloud.dataDir, server.id],
      {},
      'hostname\r\x1d',
    );
    assert.equal(tty.code, 0, tty.stderr);
    assert.match(
      tty.stdout,
      /^Connected to domain 'instance-[0-9a-f]{8}'\nEscape character is \^\] \(Ctrl \+ \]\)\n\nlogin as 'cirros' user\. default password: 'cubswin:\)'\. use 'sudo' for root\.\n\$ hostname\ncirros-vm1\n\$ \n$/,
    );
    const log = await cloud.openstack(['console', 'log', 'show', 'cirros-vm1']);
    assert.match(log.stdout, /Linux version 3\.2\.0-80-virtual/);
    assert.match(log.stdout, /\ncirros-vm1 login: /);

    // Without a DHCP answer the guest has no address yet: give it the port's, as a user would.
    const ip = port.fixed_ips[0].ip_address;
    if (!addr.stdout.includes(`inet ${ip}/`))
      assert.equal((await vmExec('ifconfig', 'eth0', ip, 'netmask', '255.255.255.0')).code, 0);
    const s = port.id.slice(0, 11);
    const before = await hostExec('ip', '-s', 'link', 'show', `tap${s}`);
    const capture = hostExec('tcpdump', '-i', `tap${s}`, '-c', '2', '-nn', '-e', 'arp');
    await new Promise((r) => setTimeout(r, 300));
    const ping = await vmExec('ping', '-c', '1', '-W', '1', '172.16.10.1');
    assert.match(ping.stdout, /^PING 172\.16\.10\.1 \(172\.16\.10\.1\): 56 data bytes\n/);
    const dump = await capture;
    const guestMac = port.mac_address;
    assert.match(
      dump,
      new RegExp(
        `${guestMac} > ff:ff:ff:ff:ff:ff, ethertype ARP \\(0x0806\\), length 42: Request who-has 172\\.16\\.10\\.1 tell ${ip.replace(/\./g, '\\.')}, length 28`,
      ),
    );
    const afterStats = await hostExec('ip', '-s', 'link', 'show', `tap${s}`);
    assert.notEqual(afterStats, before);
  });

  it('the noVNC URL opens a terminal on the same console in a browser', async () => {
    const vnc = await run('nova', ['get-vnc-console', 'cirros-vm1', 'novnc'], cloud.admin);
    assert.equal(vnc.code, 0, vnc.stderr);
    const url = /(http:\/\/\S+vnc_auto\.html\S+)/.exec(vnc.stdout)![1];
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
      ],
    });
    try {
      const page = await browser.newPage();
      await page.goto(url);
      await page.waitForFunction(
        "document.getElementById('noVNC_status').textContent.startsWith('Connected')",
      );
      await page.keyboard.type('hostname\n');
      // xterm's buffer, line by line: the guest's answer on a line of its own
      await page.waitForFunction(
        `(() => { const b = window.pocketstackTerminal.buffer.active;
          for (let i = 0; i < b.length; i++) if (b.getLine(i).translateToString(true) === 'cirros-vm1') return true;
          return false; })()`,
        undefined,
        { timeout: 15_000 },
      );
      // the page's WebSocket spent the one-time token: the URL does not open a second console
      const second = await browser.newPage();
      assert.equal((await second.goto(url))?.status(), 401);
    } finally {
      await browser.close();
    }
  });

  it('server stop shuts the guest down and its tap goes; start brings both back', async () => {
    const s = port.id.slice(0, 11);
    const status = async (want: string) => {
      for (let i = 0; i < 100; i++) {
        const r = await json(['server', 'show', 'cirros-vm1']);
        if (r.status === want) return;
        await new Promise((res) => setTimeout(res, 200));
      }
      assert.fail(`cirros-vm1 never became ${want}`);
    };
    assert.equal((await cloud.openstack(['server', 'stop', 'cirros-vm1'])).code, 0);
    await status('SHUTOFF');
    assert.match(await hostExec('virsh', 'list', '--all'), /^ - {4}instance-[0-9a-f]{8} {3}shut off$/m);
    assert.doesNotMatch(await hostExec('brctl', 'show'), new RegExp(`tap${s}`));
    assert.match(
      await cloud.openstack(['console', 'log', 'show', 'cirros-vm1']).then((r) => r.stdout),
      /Requesting system poweroff/,
    );
    assert.equal((await cloud.openstack(['server', 'start', 'cirros-vm1'])).code, 0);
    await status('ACTIVE');
    assert.match(await hostExec('virsh', 'list'), /^ 2 {4}instance-[0-9a-f]{8} {3}running$/m);
    assert.match(await hostExec('brctl', 'show'), new RegExp(`\\t{7}tap${s}\\n`));
  });

  it('a restart of pocketstack rebuilds the same devices and domain; the guest boots again', async () => {
    const devices = async () =>
      (await hostExec('ip', '-br', 'link')).match(/^(tap|qbr|qvb|qvo)\S+/gm)?.sort();
    const before = await devices();
    await cloud.stop();
    cloud = await startTestCloud({ dataDir, ephemeral: false });
    assert.deepEqual(await devices(), before);
    assert.match(await hostExec('virsh', 'list'), /^ 1 {4}instance-[0-9a-f]{8} {3}running$/m);
    // the guest boots again, as after a host reboot: a fresh console log
    for (let i = 0; i < 50; i++) {
      const log = await cloud.openstack(['console', 'log', 'show', 'cirros-vm1']);
      if (/Starting network\.\.\./.test(log.stdout)) {
        assert.equal(log.stdout.match(/Linux version/g)?.length, 1);
        return;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.fail('the guest did not boot again');
  });

  it('deleting the server removes the domain and every device', async () => {
    const r = await cloud.openstack(['server', 'delete', '--wait', 'cirros-vm1']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await hostExec('brctl', 'show'), 'bridge name\tbridge id\t\tSTP enabled\tinterfaces\n');
    assert.equal(await hostExec('virsh', 'list', '--all'), ' Id   Name   State\n--------------------\n\n');
    assert.doesNotMatch(await hostExec('ip', '-br', 'link'), /^(tap|qbr|qvb|qvo)/m);
    assert.doesNotMatch(await hostExec('ovs-vsctl', 'list-ports', 'br-int'), /qvo/);
  });
});
