// The seed's failure: on a 6 GB all-in-one (5 GB taken by its own services) the second m1.tiny
// cannot get its memory from the host although placement allowed it; with 10 GB both boot.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { run, startTestCloud, type TestCloud } from './harness.js';
import { bootServer, uploadImage } from './nova-fixtures.js';

async function withImage(hostRam: string): Promise<TestCloud> {
  const cloud = await startTestCloud({ layout: { hostRam } });
  await uploadImage(cloud, 'cirros');
  return cloud;
}

const boot = (cloud: TestCloud, name: string) => bootServer(cloud, name, { image: 'cirros' });

describe('compute host RAM', () => {
  it('--host-ram 6G: the second m1.tiny goes ERROR/NOSTATE with libvirt’s Cannot allocate memory', async () => {
    const cloud = await withImage('6G');
    try {
      assert.equal((await boot(cloud, 'cirros-vm1')).code, 0);
      const second = await boot(cloud, 'cirros-vm2');
      assert.match(second.stderr + second.stdout, /Error creating server/);
      const list = await run('nova', ['list'], cloud.admin);
      assert.match(list.stdout, /\| cirros-vm1 \| ACTIVE \| -\s+\| Running\s+\|/);
      assert.match(list.stdout, /\| cirros-vm2 \| ERROR\s+\| -\s+\| NOSTATE\s+\|/);
      const show = await cloud.openstack(['server', 'show', 'cirros-vm2', '-f', 'json']);
      const s = JSON.parse(show.stdout) as { id: string; fault: { message: string } };
      assert.equal(
        s.fault.message,
        `Exceeded maximum number of retries. Exhausted all hosts available for retrying build failures for instance ${s.id}.`,
      );
      const logFile = join(cloud.dataDir, 'logs', 'localhost', 'nova-compute.log');
      let log = '';
      for (let i = 0; i < 50 && !log.includes(s.id); i++) {
        await new Promise((r) => setTimeout(r, 50));
        log = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
      }
      assert.match(
        log,
        new RegExp(
          `ERROR nova\\.compute\\.manager \\[req-\\S+ \\w+ \\w+ - - -\\] \\[instance: ${s.id}\\] Instance failed to spawn: libvirt\\.libvirtError: internal error: qemu unexpectedly closed the monitor: \\S+ qemu-kvm: cannot set up guest memory 'pc\\.ram': Cannot allocate memory`,
        ),
      );
      // `openstack server event show` tells the same story: the build on localhost failed.
      const events = await cloud.openstack(['server', 'event', 'list', 'cirros-vm2', '-f', 'json']);
      const [create] = JSON.parse(events.stdout) as { 'Request ID': string; Action: string }[];
      assert.equal(create.Action, 'create');
      const ev = await cloud.openstack([
        'server',
        'event',
        'show',
        'cirros-vm2',
        create['Request ID'],
        '-f',
        'json',
      ]);
      const action = JSON.parse(ev.stdout) as {
        message: string;
        events: { event: string; result: string; traceback: string }[];
      };
      assert.equal(action.message, 'Error');
      const build = action.events.find((e) => e.event === 'compute__do_build_and_run_instance');
      assert.equal(build?.result, 'Error');
      assert.match(build?.traceback ?? '', /RescheduledException: .*Cannot allocate memory/);
      // Placement saw room (over-commit 1.5): the hypervisor counts only the running guest.
      const hv = await cloud.openstack(['hypervisor', 'show', 'localhost', '-f', 'json']);
      assert.equal((JSON.parse(hv.stdout) as { memory_mb_used: number }).memory_mb_used, 1024);
    } finally {
      await cloud.stop();
    }
  });

  it('--host-ram 10G: both boot (the seed’s fix)', async () => {
    const cloud = await withImage('10G');
    try {
      assert.equal((await boot(cloud, 'cirros-vm1')).code, 0);
      assert.equal((await boot(cloud, 'cirros-vm2')).code, 0);
      const list = await run('nova', ['list'], cloud.admin);
      assert.equal(list.stdout.match(/\| ACTIVE \| -\s+\| Running/g)?.length, 2, list.stdout);
    } finally {
      await cloud.stop();
    }
  });

  it('reschedules to the next compute host when the first cannot start the guest', async () => {
    // compute1 looks roomier to placement but its own services leave too little memory.
    const dir = mkdtempSync(join(tmpdir(), 'nova-layout-'));
    const file = join(dir, 'two-computes.yaml');
    writeFileSync(
      file,
      `hosts:
  - {name: controller, roles: [controller, network], ip: 192.168.136.10}
  - {name: compute1, roles: [compute], ip: 192.168.136.11, ram: 4G, services_ram: 3584M}
  - {name: compute2, roles: [compute], ip: 192.168.136.12, ram: 2G, services_ram: 1G}
`,
    );
    const cloud = await startTestCloud({ layout: { layout: file } });
    try {
      await uploadImage(cloud, 'cirros');
      const r = await bootServer(cloud, 'vm', { image: 'cirros', json: true });
      assert.equal(r.code, 0, r.stderr);
      const s = JSON.parse(r.stdout) as { id: string; status: string; 'OS-EXT-SRV-ATTR:host': string };
      assert.equal(s.status, 'ACTIVE');
      assert.equal(s['OS-EXT-SRV-ATTR:host'], 'compute2');
      const hv = await cloud.openstack(['hypervisor', 'list', '-f', 'json']);
      assert.deepEqual(
        (JSON.parse(hv.stdout) as { 'Hypervisor Hostname': string }[]).map((h) => h['Hypervisor Hostname']),
        ['compute1', 'compute2'],
      );
      const log = join(cloud.dataDir, 'logs', 'compute1', 'nova-compute.log');
      let text = '';
      for (let i = 0; i < 50 && !text.includes(s.id); i++) {
        await new Promise((res) => setTimeout(res, 50));
        text = existsSync(log) ? readFileSync(log, 'utf8') : '';
      }
      assert.match(
        text,
        new RegExp(`\\[instance: ${s.id}\\] Instance failed to spawn: .*Cannot allocate memory`),
      );
    } finally {
      await cloud.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
