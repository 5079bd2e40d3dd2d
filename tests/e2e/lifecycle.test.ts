// `pocketstack up` as a process: ready line, rc files, run file and lock, status over the
// control socket, state kept across a restart (and not with --ephemeral).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { freePortOffset, killSpawned, rcEnv, repoRoot, run, spawnPocketstack } from './harness.js';

const pocketstack = (args: string[]) =>
  run(process.execPath, [join(repoRoot, 'bin/pocketstack'), ...args], {});

describe('pocketstack up', () => {
  afterEach(killSpawned);

  it('keeps users across a restart on the same data dir, and locks the dir while running', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pocketstack-life-'));
    try {
      const offset = await freePortOffset();
      const args = ['up', '--data-dir', dir, '--port-offset', String(offset)];
      let cloud = await spawnPocketstack(args);
      assert.match(cloud.output(), /pocketstack ready in \d+ ms/);
      assert.ok(cloud.output().includes(`http://127.0.0.1:${5000 + offset}/v3`));
      assert.ok(cloud.output().includes(join(dir, 'keystonerc_admin')));

      const rc = readFileSync(join(dir, 'keystonerc_admin'), 'utf8');
      assert.equal(statSync(join(dir, 'keystonerc_admin')).mode & 0o777, 0o600);
      assert.match(rc, /^unset OS_SERVICE_TOKEN$/m);
      assert.match(rc, /export OS_REGION_NAME=RegionOne/);
      assert.match(rc, /export OS_IDENTITY_API_VERSION=3/);
      assert.ok(rc.includes("export PS1='[\\u@\\h \\W(keystone_admin)]\\$ '"));
      assert.match(
        readFileSync(join(dir, 'clouds.yaml'), 'utf8'),
        /pocketstack-admin:[\s\S]*pocketstack-demo:/,
      );
      const runFile = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));
      assert.equal(runFile.ports.identity, 5000 + offset);
      assert.equal(statSync(join(dir, 'control.sock')).mode & 0o777, 0o600);

      const status = await pocketstack(['status', '--data-dir', dir]);
      assert.equal(status.code, 0, status.stderr);
      assert.match(status.stdout, /pocketstack is up/);
      assert.match(
        status.stdout,
        /localhost\s+192\.168\.136\.66\s+16 GB RAM, 8 vCPUs\s+controller, network, compute/,
      );
      assert.match(status.stdout, new RegExp(`keystone \\(identity\\)\\s+port ${5000 + offset}`));
      assert.match(status.stdout, new RegExp(`nova-novncproxy \\(console\\)\\s+port ${6080 + offset}`));

      // A second cloud on the same dir is refused and leaves everything as it was.
      const second = await pocketstack(['up', '--data-dir', dir, '--port-offset', String(offset + 1)]);
      assert.notEqual(second.code, 0);
      assert.match(second.stderr, /another pocketstack \(pid \d+\) is running on/);
      assert.equal(readFileSync(join(dir, 'keystonerc_admin'), 'utf8'), rc);

      const admin = rcEnv(join(dir, 'keystonerc_admin'));
      let r = await run('openstack', ['user', 'create', '--password', 'pw1', 'carol'], admin);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await cloud.kill('SIGINT'), 0);
      assert.ok(!existsSync(join(dir, 'run.json')), 'run file removed at clean shutdown');

      // A run file and lock left by a killed process are stale: the next start replaces them.
      writeFileSync(join(dir, 'lock'), '999999\n');
      writeFileSync(join(dir, 'run.json'), JSON.stringify({ pid: 999999 }));
      cloud = await spawnPocketstack(args);
      assert.equal(readFileSync(join(dir, 'keystonerc_admin'), 'utf8'), rc, 'same credentials after restart');
      r = await run('openstack', ['token', 'issue'], {
        ...admin,
        OS_USERNAME: 'carol',
        OS_PASSWORD: 'pw1',
        OS_PROJECT_NAME: '',
      });
      assert.equal(r.code, 0, `carol logs in after the restart: ${r.stderr}`);
      await cloud.kill('SIGTERM');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('forgets everything with --ephemeral', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pocketstack-eph-'));
    try {
      const offset = await freePortOffset();
      const args = ['up', '--ephemeral', '--data-dir', dir, '--port-offset', String(offset)];
      let cloud = await spawnPocketstack(args);
      let admin = rcEnv(join(dir, 'keystonerc_admin'));
      let r = await run('openstack', ['user', 'create', '--password', 'pw1', 'dave'], admin);
      assert.equal(r.code, 0, r.stderr);
      await cloud.kill('SIGINT');
      assert.ok(!existsSync(join(dir, 'state.db')), 'no database file with --ephemeral');
      cloud = await spawnPocketstack(args);
      admin = rcEnv(join(dir, 'keystonerc_admin'));
      r = await run('openstack', ['user', 'show', 'dave'], admin);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /No user with a name or ID of 'dave' exists/);
      await cloud.kill('SIGINT');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says so when no cloud runs on a data dir', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pocketstack-none-'));
    const r = await pocketstack(['status', '--data-dir', dir]);
    rmSync(dir, { recursive: true, force: true });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no pocketstack is running on/);
  });
});
