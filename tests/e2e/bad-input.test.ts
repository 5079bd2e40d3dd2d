// Bad input gets the real API's error format and status, never a 500, and the server lives on.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestCloud, type TestCloud } from './harness.js';

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field
const json = async (res: Response): Promise<any> => res.json();

describe('bad input to the APIs', () => {
  let cloud: TestCloud;
  let identity: string;
  let token: string;
  before(async () => {
    cloud = await startTestCloud();
    identity = `http://127.0.0.1:${5000 + cloud.offset}`;
    const res = await fetch(`${identity}/v3/auth/tokens`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        auth: {
          identity: {
            methods: ['password'],
            password: {
              user: { name: 'admin', domain: { name: 'Default' }, password: cloud.admin.OS_PASSWORD },
            },
          },
          scope: { project: { name: 'admin', domain: { name: 'Default' } } },
        },
      }),
    });
    assert.equal(res.status, 201);
    token = res.headers.get('x-subject-token')!;
  });
  after(async () => cloud?.stop());

  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${identity}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Auth-Token': token, ...headers },
      body,
    });

  it("answers malformed JSON with 400 in Keystone's format", async () => {
    const res = await post('/v3/projects', '{"project": ');
    assert.equal(res.status, 400);
    const body = await json(res);
    assert.equal(body.error.code, 400);
    assert.equal(body.error.title, 'Bad Request');
    assert.match(body.error.message, /^Expecting to find valid JSON in request body/);
  });

  it("answers a wrong type with jsonschema's words", async () => {
    const res = await post('/v3/projects', JSON.stringify({ project: { name: 'x', enabled: 'notabool' } }));
    assert.equal(res.status, 400);
    const body = await json(res);
    assert.equal(
      body.error.message,
      "Invalid input for field 'enabled': 'notabool' is not of type 'boolean'",
    );
  });

  it('answers a missing field and an unknown domain', async () => {
    let res = await post('/v3/projects', JSON.stringify({ project: {} }));
    assert.equal(res.status, 400);
    res = await post('/v3/projects', JSON.stringify({ project: { name: 'p', domain_id: 'nosuch' } }));
    assert.equal(res.status, 404);
    assert.equal((await json(res)).error.message, 'Could not find domain: nosuch.');
    res = await post(
      '/v3/auth/tokens',
      JSON.stringify({
        auth: {
          identity: {
            methods: ['password'],
            password: { user: { name: 'admin', domain: { name: 'Nope' }, password: 'x' } },
          },
        },
      }),
    );
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /^Keystone uri="http:\/\/127\.0\.0\.1:\d+\/v3"$/);
    res = await post('/v3/auth/tokens', JSON.stringify({ auth: { identity: { methods: ['password'] } } }));
    assert.equal(res.status, 400);
    assert.match((await json(res)).error.message, /^Expecting to find password in identity/);
  });

  it('refuses a 10 MB body with 413 and stays up', async () => {
    const res = await post('/v3/projects', `{"project": {"name": "${'a'.repeat(10 * 1024 * 1024)}"}}`);
    assert.equal(res.status, 413);
    assert.equal((await json(res)).error.title, 'Request Entity Too Large');
    const alive = await fetch(`${identity}/v3`);
    assert.equal(alive.status, 200);
  });

  it('validates subject tokens as Keystone does', async () => {
    let res = await fetch(`${identity}/v3/auth/tokens`, {
      headers: { 'X-Auth-Token': token, 'X-Subject-Token': 'garbage' },
    });
    assert.equal(res.status, 404);
    assert.equal((await json(res)).error.message, 'Could not recognize Fernet token');
    res = await fetch(`${identity}/v3/auth/tokens`, {
      headers: { 'X-Auth-Token': token, 'X-Subject-Token': token },
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-subject-token'), token);
    res = await fetch(`${identity}/v3/auth/tokens`, {
      method: 'HEAD',
      headers: { 'X-Auth-Token': token, 'X-Subject-Token': token },
    });
    assert.equal(res.status, 200);
    res = await fetch(`${identity}/v3/projects`, { headers: { 'X-Auth-Token': 'garbage' } });
    assert.equal(res.status, 401);
  });

  it("answers unknown paths with Flask's HTML 404", async () => {
    const res = await fetch(`${identity}/v3/nonsense/path`);
    assert.equal(res.status, 404);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
  });

  it('serves version discovery on every service port and 401 without a token', async () => {
    const port = (p: number) => `http://127.0.0.1:${p + cloud.offset}`;
    let res = await fetch(`${port(8774)}/v2.1`);
    assert.equal(res.status, 200);
    assert.equal((await json(res)).version.id, 'v2.1');
    res = await fetch(`${port(9292)}/`);
    assert.equal(res.status, 300);
    assert.equal((await json(res)).versions[0].id, 'v2.15');
    res = await fetch(`${port(9696)}/`);
    assert.equal((await json(res)).versions[0].id, 'v2.0');
    for (const p of [
      `${port(8774)}/v2.1/servers`,
      `${port(9292)}/v2/images`,
      `${port(9696)}/v2.0/networks`,
    ]) {
      res = await fetch(p);
      assert.equal(res.status, 401, p);
      assert.match(res.headers.get('www-authenticate') ?? '', /^Keystone uri=/);
    }
    res = await fetch(`${port(9696)}/v2.0/nonsense`, { headers: { 'X-Auth-Token': token } });
    assert.equal(res.status, 404);
    assert.equal((await json(res)).NeutronError.type, 'HTTPNotFound');
  });
});
