// Nova with Debian's real `openstack` and `nova` clients: key pairs, flavors, servers, consoles,
// hosts and quotas on one all-in-one cloud.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { run, startTestCloud, type TestCloud } from './harness.js';
import { bootServer, uploadImage } from './nova-fixtures.js';

const work = mkdtempSync(join(tmpdir(), 'nova-e2e-'));
const json = <T>(text: string): T => JSON.parse(text) as T;

async function until<T>(fn: () => Promise<T | undefined>, what: string, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('nova with the real clients', () => {
  let cloud: TestCloud;
  const nova = (args: string[], env: Record<string, string> = {}) =>
    run('nova', args, { ...cloud.admin, ...env });
  before(async () => {
    cloud = await startTestCloud();
    await uploadImage(cloud);
  });
  after(async () => {
    await cloud?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('nova keypair-add prints a real RSA key whose MD5 fingerprint openstack keypair list shows', async () => {
    const r = await nova(['keypair-add', 'admin-key']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^-----BEGIN RSA PRIVATE KEY-----\n[\s\S]+-----END RSA PRIVATE KEY-----\n/);
    const pem = join(work, 'admin-key.pem');
    writeFileSync(pem, r.stdout, { mode: 0o600 });
    const mine = /MD5:([0-9a-f:]+)/.exec(
      execFileSync('ssh-keygen', ['-l', '-E', 'md5', '-f', pem], { encoding: 'utf8' }),
    )?.[1];
    const list = await cloud.openstack(['keypair', 'list', '-f', 'json']);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(json(list.stdout), [{ Name: 'admin-key', Fingerprint: mine, Type: 'ssh' }]);
    // The private key is given once: show has only the public half.
    const show = await cloud.openstack(['keypair', 'show', 'admin-key', '-f', 'json']);
    assert.equal(json<{ fingerprint: string }>(show.stdout).fingerprint, mine);
    assert.doesNotMatch(show.stdout, /PRIVATE KEY/);
    // A second key of the same name is a 409 in Nova's words.
    const again = await nova(['keypair-add', 'admin-key']);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /ERROR \(Conflict\): Key pair 'admin-key' already exists\. \(HTTP 409\)/);
  });

  it('imports an ed25519 public key and keeps key pairs per user', async () => {
    const key = join(work, 'id_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    const r = await cloud.openstack(['keypair', 'create', '--public-key', `${key}.pub`, 'ed', '-f', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const fp = /MD5:([0-9a-f:]+)/.exec(
      execFileSync('ssh-keygen', ['-l', '-E', 'md5', '-f', `${key}.pub`], { encoding: 'utf8' }),
    )?.[1];
    assert.equal(json<{ fingerprint: string }>(r.stdout).fingerprint, fp);
    const demo = await cloud.openstack(['keypair', 'list', '-f', 'json'], cloud.demo);
    assert.deepEqual(json(demo.stdout), [], "the demo user sees none of admin's key pairs");
    const bad = await cloud.openstack(['keypair', 'show', 'admin-key'], cloud.demo);
    assert.notEqual(bad.code, 0);
    const del = await cloud.openstack(['keypair', 'delete', 'ed']);
    assert.equal(del.code, 0, del.stderr);
    const gone = await cloud.openstack(['keypair', 'delete', 'ed']);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /1 of 1 keys failed to delete/);
  });

  it("lists packstack's flavors and lets admin create, tag and delete one", async () => {
    const r = await cloud.openstack(['flavor', 'list', '-f', 'json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      json<Record<string, unknown>[]>(r.stdout).map((f) => [
        f.ID,
        f.Name,
        f.RAM,
        f.Disk,
        f.VCPUs,
        f['Is Public'],
      ]),
      [
        ['1', 'm1.tiny', 512, 1, 1, true],
        ['2', 'm1.small', 2048, 20, 1, true],
        ['3', 'm1.medium', 4096, 40, 2, true],
        ['4', 'm1.large', 8192, 80, 4, true],
        ['5', 'm1.xlarge', 16384, 160, 8, true],
      ],
    );
    let c = await cloud.openstack([
      'flavor',
      'create',
      '--ram',
      '256',
      '--disk',
      '1',
      '--vcpus',
      '1',
      '--property',
      'hw:cpu_policy=shared',
      'm1.mini',
      '-f',
      'json',
    ]);
    assert.equal(c.code, 0, c.stderr);
    const made = json<{ id: string; properties: unknown }>(c.stdout);
    assert.match(made.id, /^[0-9a-f-]{36}$/);
    c = await cloud.openstack(['flavor', 'show', 'm1.mini', '-f', 'json']);
    assert.deepEqual(json<{ properties: unknown }>(c.stdout).properties, { 'hw:cpu_policy': 'shared' });
    c = await cloud.openstack(['flavor', 'create', '--ram', '256', '--disk', '1', '--vcpus', '1', 'm1.mini']);
    assert.equal(c.code, 1);
    assert.match(c.stderr, /Flavor with name m1\.mini already exists/);
    const member = await cloud.openstack(
      ['flavor', 'create', '--ram', '64', '--disk', '1', '--vcpus', '1', 'x'],
      cloud.demo,
    );
    assert.equal(member.code, 1);
    assert.match(
      member.stderr,
      /Policy doesn't allow os_compute_api:os-flavor-manage:create to be performed/,
    );
    c = await cloud.openstack(['flavor', 'delete', 'm1.mini']);
    assert.equal(c.code, 0, c.stderr);
  });

  it('creates a server that goes ACTIVE, shows it in nova list, and serves its console', async () => {
    const r = await bootServer(cloud, 'cirros-vm1', { keyName: 'admin-key', json: true });
    assert.equal(r.code, 0, r.stderr);
    const s = json<Record<string, unknown>>(r.stdout);
    assert.equal(s.status, 'ACTIVE');
    assert.equal(s['OS-EXT-STS:power_state'], 1, 'OSC prints Running in tables, the raw 1 in JSON');
    assert.equal(s['OS-EXT-SRV-ATTR:host'], 'localhost');
    assert.equal(s['OS-EXT-SRV-ATTR:instance_name'], 'instance-00000001');
    assert.equal(s.key_name, 'admin-key');
    assert.match(String(s.flavor), /^m1\.tiny \(1\)$/);

    const list = await nova(['list']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /\| ID\s+\| Name\s+\| Status \| Task State \| Power State \| Networks \|/);
    assert.match(
      list.stdout,
      new RegExp(`\\| ${s.id} \\| cirros-vm1 \\| ACTIVE \\| -\\s+\\| Running\\s+\\|`),
    );

    const log = await cloud.openstack(['console', 'log', 'show', 'cirros-vm1']);
    assert.equal(log.code, 0, log.stderr);
    // The host's console log of the instance (what it says depends on the host's driver).
    assert.ok(log.stdout.trim().length > 0, 'a console log');

    const vnc = await nova(['get-vnc-console', 'cirros-vm1', 'novnc']);
    assert.equal(vnc.code, 0, vnc.stderr);
    const url = /(http:\/\/\S+\/vnc_auto\.html\?path=%3Ftoken%3D[0-9a-f-]+)/.exec(vnc.stdout)?.[1] as string;
    assert.ok(url.startsWith(`http://127.0.0.1:${6080 + cloud.offset}/`), vnc.stdout);
    const page = await fetch(url);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /cirros-vm1/);
    const forged = await fetch(url.replace(/token%3D[0-9a-f]/, 'token%3Dx'));
    assert.equal(forged.status, 401);
    const osc = await cloud.openstack(['console', 'url', 'show', 'cirros-vm1', '-f', 'json']);
    assert.equal(osc.code, 0, osc.stderr);
    assert.equal(json<{ type: string }>(osc.stdout).type, 'novnc');
  });

  it("boots the seed's cirros-vm1 on vxlan10 with a port Nova made, and deletes both", async () => {
    let r = await cloud.openstack(['network', 'create', 'vxlan10']);
    assert.equal(r.code, 0, r.stderr);
    r = await cloud.openstack(
      'subnet create --network vxlan10 --subnet-range 172.16.10.0/24 subnet172_16_10_0'.split(' '),
    );
    assert.equal(r.code, 0, r.stderr);
    r = await bootServer(cloud, 'net-vm', { network: 'vxlan10', keyName: 'admin-key', json: true });
    assert.equal(r.code, 0, r.stderr);
    const s = json<{ id: string; status: string; addresses: unknown }>(r.stdout);
    assert.equal(s.status, 'ACTIVE');
    const list = await nova(['list']);
    const ip = /\| net-vm\s+\| ACTIVE \| -\s+\| Running\s+\| vxlan10=(172\.16\.10\.\d+)\s+\|/.exec(
      list.stdout,
    )?.[1];
    assert.ok(ip, list.stdout);
    const ports = await cloud.openstack([
      'port',
      'list',
      '--device-id',
      s.id,
      '-f',
      'json',
      '-c',
      'ID',
      '-c',
      'Fixed IP Addresses',
    ]);
    const [p] = json<{ ID: string; 'Fixed IP Addresses': { ip_address: string }[] }[]>(ports.stdout);
    assert.equal(p['Fixed IP Addresses'][0].ip_address, ip);
    const port = json<Record<string, unknown>>(
      (await cloud.openstack(['port', 'show', p.ID, '-f', 'json'])).stdout,
    );
    assert.equal(port.device_owner, 'compute:nova');
    assert.equal(port.binding_host_id, 'localhost');
    // A security group added to the server goes on its port (and is listed by name).
    r = await cloud.openstack(['security', 'group', 'create', 'web']);
    assert.equal(r.code, 0, r.stderr);
    r = await cloud.openstack(['server', 'add', 'security', 'group', 'net-vm', 'web']);
    assert.equal(r.code, 0, r.stderr);
    const groups = json<{ security_groups: { name: string }[] }>(
      (await cloud.openstack(['server', 'show', 'net-vm', '-f', 'json'])).stdout,
    ).security_groups.map((g) => g.name);
    assert.deepEqual(groups.sort(), ['default', 'web']);
    const sgIds = json<{ security_group_ids: string[] }>(
      (await cloud.openstack(['port', 'show', p.ID, '-f', 'json'])).stdout,
    ).security_group_ids;
    assert.equal(sgIds.length, 2);
    // The port deleted under the server: Neutron sends network-vif-deleted, and nova list (Nova's
    // cache) drops the address.
    r = await cloud.openstack(['port', 'delete', p.ID]);
    assert.equal(r.code, 0, r.stderr);
    await until(async () => {
      const l = (await nova(['list'])).stdout;
      return /\| net-vm\s+\| ACTIVE \| -\s+\| Running\s+\|\s*\|/.test(l) ? true : undefined;
    }, 'the address to leave nova list');
    r = await cloud.openstack(['server', 'delete', '--wait', 'net-vm']);
    assert.equal(r.code, 0, r.stderr);
    await until(async () => {
      const left = await cloud.openstack(['port', 'list', '--device-id', s.id, '-f', 'json']);
      return json<unknown[]>(left.stdout).length === 0 ? true : undefined;
    }, 'the port to go with the server');
  });

  it('stops, starts, reboots and hides the server from another project', async () => {
    let r = await cloud.openstack(['server', 'stop', 'cirros-vm1']);
    assert.equal(r.code, 0, r.stderr);
    await until(async () => {
      const l = await nova(['list']);
      return /SHUTOFF \| -\s+\| Shutdown/.test(l.stdout) ? true : undefined;
    }, 'SHUTOFF');
    r = await cloud.openstack(['server', 'stop', 'cirros-vm1']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Cannot 'stop' instance [0-9a-f-]+ while it is in vm_state stopped \(HTTP 409\)/);
    r = await cloud.openstack(['server', 'start', 'cirros-vm1']);
    assert.equal(r.code, 0, r.stderr);
    await until(async () => {
      const l = await cloud.openstack(['server', 'show', 'cirros-vm1', '-f', 'json']);
      return json<{ status: string }>(l.stdout).status === 'ACTIVE' ? true : undefined;
    }, 'ACTIVE again');
    r = await cloud.openstack(['server', 'reboot', '--hard', 'cirros-vm1']);
    assert.equal(r.code, 0, r.stderr);
    const ext = await bootServer(cloud, 'outside', { network: 'public', env: cloud.demo });
    assert.equal(ext.code, 1);
    assert.match(
      ext.stderr,
      /It is not allowed to create an interface on external network [0-9a-f-]+ \(HTTP 403\)/,
    );
    const demo = await cloud.openstack(['server', 'show', 'cirros-vm1'], cloud.demo);
    assert.equal(demo.code, 1);
    assert.match(demo.stderr, /No server with a name or ID of 'cirros-vm1' exists/);
  });

  it('puts a flavor bigger than any host in ERROR with the No valid host fault', async () => {
    let r = await cloud.openstack('flavor create --ram 32768 --vcpus 1 --disk 1 huge'.split(' '));
    assert.equal(r.code, 0, r.stderr);
    r = await bootServer(cloud, 'big', { flavor: 'huge' });
    assert.equal(r.code, 0, 'OSC exits 0 on ERROR');
    assert.match(r.stderr + r.stdout, /Error creating server/);
    r = await cloud.openstack(['server', 'show', 'big', '-f', 'json']);
    const s = json<{ status: string; fault: { message: string; code: number } }>(r.stdout);
    assert.equal(s.status, 'ERROR');
    assert.equal(s.fault.code, 500);
    assert.equal(s.fault.message, 'No valid host was found. ');
    const list = await nova(['list']);
    assert.match(list.stdout, /\| big\s+\| ERROR\s+\| -\s+\| NOSTATE\s+\|\s+\|/);
  });

  it('shows hypervisors, services, zones, limits and quotas', async () => {
    let r = await cloud.openstack(['hypervisor', 'list', '-f', 'json']);
    assert.deepEqual(json(r.stdout), [
      {
        ID: 1,
        'Hypervisor Hostname': 'localhost',
        'Hypervisor Type': 'QEMU',
        'Host IP': '192.168.136.66',
        State: 'up',
      },
    ]);
    r = await cloud.openstack(['hypervisor', 'show', 'localhost', '-f', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const h = json<Record<string, unknown>>(r.stdout);
    // m1.tiny running: 512 MB reserved + 512 MB of the guest.
    assert.equal(h.memory_mb_used, 1024);
    assert.equal(h.free_ram_mb, 16384 - 1024);
    r = await cloud.openstack(['hypervisor', 'stats', 'show', '-f', 'json']);
    assert.equal(json<{ running_vms: number }>(r.stdout).running_vms, 1);
    r = await cloud.openstack(['compute', 'service', 'list', '-f', 'json']);
    const services = json<{ Binary: string; Host: string; State: string; Zone: string }[]>(r.stdout);
    assert.deepEqual(
      services.map((x) => [x.Binary, x.Host, x.Zone, x.State]),
      [
        ['nova-conductor', 'localhost', 'internal', 'up'],
        ['nova-scheduler', 'localhost', 'internal', 'up'],
        ['nova-compute', 'localhost', 'nova', 'up'],
      ],
    );
    r = await cloud.openstack(['availability', 'zone', 'list', '--compute', '-f', 'json']);
    assert.ok(json<{ 'Zone Name': string }[]>(r.stdout).some((z) => z['Zone Name'] === 'nova'));
    r = await cloud.openstack(['limits', 'show', '--absolute', '-f', 'json'], cloud.demo);
    const limits = Object.fromEntries(
      json<{ Name: string; Value: number }[]>(r.stdout).map((x) => [x.Name, x.Value]),
    );
    assert.equal(limits.maxTotalInstances, 10);
    assert.equal(limits.totalInstancesUsed, 0);
    r = await run('nova', ['quota-show'], cloud.admin);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\| instances\s+\| 10\s+\|/);
    assert.match(r.stdout, /\| cores\s+\| 20\s+\|/);
  });

  it('negotiates microversions on both headers and answers with both', async () => {
    const tok = await cloud.openstack(['token', 'issue', '-f', 'value', '-c', 'id']);
    const token = tok.stdout.trim();
    const base = `http://127.0.0.1:${8774 + cloud.offset}/v2.1`;
    let res = await fetch(`${base}/flavors/1`, {
      headers: { 'X-Auth-Token': token, 'OpenStack-API-Version': 'compute 2.61' },
    });
    assert.equal(res.headers.get('openstack-api-version'), 'compute 2.61');
    assert.equal(res.headers.get('x-openstack-nova-api-version'), '2.61');
    assert.deepEqual(((await res.json()) as { flavor: { extra_specs?: unknown } }).flavor.extra_specs, {});
    res = await fetch(`${base}/flavors/1`, {
      headers: { 'X-Auth-Token': token, 'X-OpenStack-Nova-API-Version': '2.1' },
    });
    assert.equal(((await res.json()) as { flavor: { extra_specs?: unknown } }).flavor.extra_specs, undefined);
    res = await fetch(`${base}/flavors/1`, {
      headers: { 'X-Auth-Token': token, 'OpenStack-API-Version': 'compute 2.92' },
    });
    assert.equal(res.status, 406);
    assert.deepEqual(await res.json(), {
      computeFault: {
        code: 406,
        message: 'Version 2.92 is not supported by the API. Minimum is 2.1 and maximum is 2.91.',
      },
    });
  });
});
