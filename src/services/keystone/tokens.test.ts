// Token semantics without HTTP: scoping, implied roles, expiry, revocation, rescoping.
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { openDatabase } from '../../store/index.js';
import { internalContext } from '../policy.js';
import { Keystone, TokenInvalid } from './index.js';

const password = (name: string, pw: string, project?: string) => ({
  identity: {
    methods: ['password'],
    password: { user: { name, domain: { name: 'Default' }, password: pw } },
  },
  ...(project ? { scope: { project: { name: project, domain: { id: 'default' } } } } : {}),
});

describe('keystone tokens', () => {
  let now: number;
  let ks: Keystone;
  beforeEach(async () => {
    now = Date.parse('2026-11-26T06:24:06Z');
    ks = new Keystone(openDatabase(':memory:'), { now: () => now });
    await ks.bootstrap({
      region: 'RegionOne',
      services: [],
      adminPassword: 'adminpass',
      demoPassword: 'demopass',
    });
  });

  it('scopes to a project with implied roles, and expires after an hour', async () => {
    const t = await ks.tokens.issue(password('admin', 'adminpass', 'admin'));
    assert.equal(t.scope.type, 'project');
    assert.deepEqual(
      t.roles.map((r) => r.name),
      ['admin', 'member', 'reader'],
    );
    assert.equal(t.expiresAt - t.issuedAt, 3600);
    assert.equal(ks.tokens.validate(t.id).user.name, 'admin');
    now += 3601_000;
    assert.throws(
      () => ks.tokens.validate(t.id),
      (e: unknown) => e instanceof TokenInvalid && e.reason === 'invalid',
    );
  });

  it('scopes an unscoped request to the default project, as Keystone does', async () => {
    const t = await ks.tokens.issue(password('demo', 'demopass'));
    assert.equal(t.scope.type === 'project' && t.scope.project.name, 'demo');
    assert.deepEqual(
      t.roles.map((r) => r.name),
      ['member', 'reader'],
    );
  });

  it('refuses a project the user has no role on with the same 401 as a bad password', async () => {
    await assert.rejects(ks.tokens.issue(password('demo', 'demopass', 'admin')), { status: 401 });
    await assert.rejects(ks.tokens.issue(password('demo', 'wrong', 'demo')), { status: 401 });
    await assert.rejects(ks.tokens.issue(password('nobody', 'x', 'demo')), { status: 401 });
  });

  it('does not recognise a forged or garbled token', async () => {
    const t = await ks.tokens.issue(password('admin', 'adminpass', 'admin'));
    const forged = `${t.id.slice(0, -4)}AAAA`;
    assert.throws(
      () => ks.tokens.validate(forged),
      (e: unknown) => e instanceof TokenInvalid && e.reason === 'unrecognized',
    );
    assert.throws(
      () => ks.tokens.validate('garbage'),
      (e: unknown) => e instanceof TokenInvalid && e.reason === 'unrecognized',
    );
  });

  it('stops a token at once when its role is revoked or it is revoked itself', async () => {
    const demo = await ks.tokens.issue(password('demo', 'demopass', 'demo'));
    const admin = await ks.tokens.issue(password('admin', 'adminpass', 'admin'));
    const ctx = ks.tokens.contextOf(admin, 'req-test');
    const user = ks.identity.repo.getUserByName('default', 'demo')!;
    const member = ks.identity.repo.getRoleByName('member')!;
    const project = ks.identity.repo.listProjects().find((p) => p.name === 'demo')!;
    ks.identity.revoke(ctx, {
      actor: { type: 'user', id: user.id },
      scope: { type: 'project', id: project.id },
      roleId: member.id,
      inherited: false,
    });
    assert.throws(() => ks.tokens.validate(demo.id), TokenInvalid);

    ks.tokens.revoke(ctx, admin.id);
    assert.throws(() => ks.tokens.validate(admin.id), TokenInvalid);
  });

  it('rescopes a token by the token method, keeping its expiry and audit chain', async () => {
    const t = await ks.tokens.issue(password('admin', 'adminpass'));
    now += 60_000;
    const r = await ks.tokens.issue({
      identity: { methods: ['token'], token: { id: t.id } },
      scope: { system: { all: true } },
    });
    assert.deepEqual(r.methods, ['token', 'password']);
    assert.equal(r.scope.type, 'system');
    assert.equal(r.expiresAt, t.expiresAt);
    assert.equal(r.auditIds.length, 2);
    assert.equal(r.auditIds[1], t.auditIds[0]);
  });

  it('revokes every token of a user whose password changes', async () => {
    const ctx = internalContext();
    const alice = await ks.identity.createUser(ctx, { name: 'alice', password: 'one' });
    const project = ks.identity.createProject(ctx, { name: 'lab' });
    const member = ks.identity.repo.getRoleByName('member')!;
    ks.identity.grant(ctx, {
      actor: { type: 'user', id: alice.id },
      scope: { type: 'project', id: project.id },
      roleId: member.id,
      inherited: false,
    });
    const t = await ks.tokens.issue(password('alice', 'one', 'lab'));
    await ks.identity.changePassword(ks.tokens.contextOf(t, 'req-x'), alice.id, 'one', 'two');
    assert.throws(() => ks.tokens.validate(t.id), TokenInvalid);
    now += 1000;
    await assert.rejects(ks.tokens.issue(password('alice', 'one', 'lab')), { status: 401 });
    assert.equal((await ks.tokens.issue(password('alice', 'two', 'lab'))).user.name, 'alice');
  });
});
