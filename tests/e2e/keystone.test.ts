// Issue 3's command block, driven by Debian's real `openstack` client.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestCloud, type TestCloud } from './harness.js';

describe('keystone with the real openstack client', () => {
  let cloud: TestCloud;
  before(async () => {
    cloud = await startTestCloud();
  });
  after(async () => cloud?.stop());

  it('issues a token scoped to the admin project', async () => {
    const r = await cloud.openstack(['token', 'issue', '-f', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const t = JSON.parse(r.stdout);
    assert.match(t.id, /^gAAAAAB/);
    assert.match(t.project_id, /^[0-9a-f]{32}$/);
    assert.ok(Date.parse(t.expires) > Date.now() + 3500_000, 'token lives an hour');
  });

  it("lists identity, compute, image and network in the catalog at this cloud's ports", async () => {
    const r = await cloud.openstack(['catalog', 'list', '-f', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const entries = JSON.parse(r.stdout) as { Name: string; Type: string; Endpoints: unknown }[];
    assert.deepEqual(entries.map((e) => e.Type).sort(), ['compute', 'identity', 'image', 'network']);
    const text = JSON.stringify(entries);
    assert.ok(text.includes(`:${5000 + cloud.offset}/v3`));
    assert.ok(text.includes(`:${8774 + cloud.offset}/v2.1`));
    assert.ok(text.includes(`:${9292 + cloud.offset}`));
    assert.ok(text.includes(`:${9696 + cloud.offset}`));
  });

  it('creates a project and a user, grants a role, and lists assignments by name', async () => {
    let r = await cloud.openstack(['project', 'create', 'lab', '-f', 'json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).name, 'lab');
    r = await cloud.openstack([
      'user',
      'create',
      '--project',
      'lab',
      '--password',
      's3cret',
      'alice',
      '-f',
      'json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    r = await cloud.openstack(['role', 'add', '--project', 'lab', '--user', 'alice', 'member']);
    assert.equal(r.code, 0, r.stderr);
    r = await cloud.openstack(['role', 'assignment', 'list', '--names', '-f', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const rows = JSON.parse(r.stdout) as Record<string, string>[];
    assert.ok(
      rows.some((a) => a.Role === 'member' && a.User === 'alice@Default' && a.Project === 'lab@Default'),
    );
    assert.ok(
      rows.some((a) => a.Role === 'admin' && a.User === 'admin@Default' && a.Project === 'admin@Default'),
    );

    // The same project again is Keystone's 409.
    r = await cloud.openstack(['project', 'create', 'lab']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Conflict occurred attempting to store project/);

    // alice logs in to lab, may not create projects, and changes her password.
    const alice = { OS_USERNAME: 'alice', OS_PASSWORD: 's3cret', OS_PROJECT_NAME: 'lab' };
    r = await cloud.openstack(['token', 'issue', '-f', 'value', '-c', 'project_id'], alice);
    assert.equal(r.code, 0, r.stderr);
    r = await cloud.openstack(['project', 'create', 'evil'], alice);
    assert.notEqual(r.code, 0);
    assert.match(
      r.stderr,
      /You are not authorized to perform the requested action: identity:create_project\. \(HTTP 403\)/,
    );
    r = await cloud.openstack(
      ['user', 'password', 'set', '--password', 'n3w', '--original-password', 's3cret'],
      alice,
    );
    assert.equal(r.code, 0, r.stderr);
    r = await cloud.openstack(['token', 'issue'], alice);
    assert.match(r.stderr, /HTTP 401/);
    r = await cloud.openstack(['token', 'issue'], { ...alice, OS_PASSWORD: 'n3w' });
    assert.equal(r.code, 0, r.stderr);
  });

  it("refuses a wrong password with Keystone's 401 message", async () => {
    const r = await cloud.openstack(['--os-password', 'wrong', 'token', 'issue']);
    assert.notEqual(r.code, 0);
    assert.match(
      r.stderr,
      /The request you have made requires authentication\. \(HTTP 401\) \(Request-ID: req-/,
    );
  });

  it('says a missing project does not exist', async () => {
    const r = await cloud.openstack(['project', 'show', 'nosuchproject']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /No project with a name or ID of 'nosuchproject' exists\./);
  });

  it('lets the demo member list only its own projects', async () => {
    const r = await cloud.openstack(['project', 'list', '-f', 'value', '-c', 'Name'], cloud.demo);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'demo');
  });

  it('manages groups, domains, services and endpoints', async () => {
    const ok = async (args: string[]) => {
      const r = await cloud.openstack(args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    await ok(['group', 'create', 'ops']);
    await ok(['user', 'create', '--password', 'pw', 'bob']);
    await ok(['group', 'add', 'user', 'ops', 'bob']);
    assert.match(await ok(['group', 'contains', 'user', 'ops', 'bob']), /bob in group ops/);
    await ok(['project', 'create', 'prod']);
    await ok(['role', 'add', '--project', 'prod', '--group', 'ops', 'member']);
    // bob's role comes through the group.
    const r = await cloud.openstack(['token', 'issue'], {
      OS_USERNAME: 'bob',
      OS_PASSWORD: 'pw',
      OS_PROJECT_NAME: 'prod',
    });
    assert.equal(r.code, 0, r.stderr);
    await ok(['domain', 'create', 'lab-domain']);
    await ok(['domain', 'set', '--disable', 'lab-domain']);
    await ok(['domain', 'delete', 'lab-domain']);
    await ok(['service', 'create', '--name', 'extra', 'object-store']);
    await ok(['endpoint', 'create', '--region', 'RegionOne', 'extra', 'public', 'http://127.0.0.1:8080/v1']);
    assert.match(
      await ok(['endpoint', 'list', '--service', 'extra', '-f', 'value', '-c', 'URL']),
      /8080\/v1/,
    );
    await ok(['service', 'delete', 'extra']);
  });

  it('revokes a token', async () => {
    const t = (await cloud.openstack(['token', 'issue', '-f', 'value', '-c', 'id'])).stdout.trim();
    const r = await cloud.openstack(['token', 'revoke', t]);
    assert.equal(r.code, 0, r.stderr);
    const base = `http://127.0.0.1:${5000 + cloud.offset}`;
    const res = await fetch(`${base}/v3/auth/projects`, { headers: { 'X-Auth-Token': t } });
    assert.equal(res.status, 401);
  });
});
