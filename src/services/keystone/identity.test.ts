// Identity rules without HTTP: uniqueness, policy, grants through groups.
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { openDatabase } from '../../store/index.js';
import { internalContext, type RequestContext } from '../policy.js';
import { Keystone } from './index.js';

describe('keystone identity', () => {
  let ks: Keystone;
  const admin = internalContext();
  let member: RequestContext;
  beforeEach(async () => {
    ks = new Keystone(openDatabase(':memory:'));
    await ks.bootstrap({ region: 'RegionOne', services: [], adminPassword: 'a', demoPassword: 'd' });
    const demo = ks.identity.repo.getUserByName('default', 'demo')!;
    member = {
      ...admin,
      userId: demo.id,
      userName: 'demo',
      system: false,
      roles: ['member', 'reader'],
      projectId: 'p',
    };
  });

  it("refuses duplicate names in a domain with Keystone's 409 text", async () => {
    ks.identity.createProject(admin, { name: 'lab' });
    assert.throws(() => ks.identity.createProject(admin, { name: 'lab' }), {
      status: 409,
      message: /^Conflict occurred attempting to store project - it is not permitted to have two projects/,
    });
    await ks.identity.createUser(admin, { name: 'alice' });
    await assert.rejects(ks.identity.createUser(admin, { name: 'alice' }), {
      status: 409,
      message:
        'Conflict occurred attempting to store user - Duplicate entry found with name alice at domain ID default.',
    });
  });

  it('lets a member read itself but not list users or create projects', () => {
    assert.throws(() => ks.identity.listUsers(member), {
      status: 403,
      message: 'You are not authorized to perform the requested action: identity:list_users.',
    });
    assert.throws(() => ks.identity.createProject(member, { name: 'x' }), { status: 403 });
    assert.equal(ks.identity.getUser(member, member.userId).name, 'demo');
  });

  it("gives a group member the group's roles on a project, implied roles included", async () => {
    const u = await ks.identity.createUser(admin, { name: 'bob' });
    const g = ks.identity.createGroup(admin, { name: 'ops' });
    const p = ks.identity.createProject(admin, { name: 'prod' });
    const role = ks.identity.repo.getRoleByName('member')!;
    ks.identity.grant(admin, {
      actor: { type: 'group', id: g.id },
      scope: { type: 'project', id: p.id },
      roleId: role.id,
      inherited: false,
    });
    assert.deepEqual(ks.identity.rolesOn(u.id, { type: 'project', id: p.id }), []);
    ks.identity.addUserToGroup(admin, g.id, u.id);
    const names = ks.identity
      .rolesOn(u.id, { type: 'project', id: p.id })
      .map((id) => ks.identity.repo.getRole(id)!.name);
    assert.deepEqual(names.sort(), ['member', 'reader']);
    const effective = ks.identity.listAssignments(admin, { userId: u.id, effective: true });
    assert.equal(effective.length, 2);
  });

  it('keeps bootstrap roles immutable and refuses to delete an enabled domain', () => {
    const admin_ = ks.identity.repo.getRoleByName('admin')!;
    assert.throws(() => ks.identity.deleteRole(admin, admin_.id), { status: 403 });
    assert.throws(() => ks.identity.deleteDomain(admin, 'default'), { status: 403 });
  });
});
