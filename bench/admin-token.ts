// The admin's project-scoped token of a bench cloud (POST /v3/auth/tokens as the clients send it),
// and the HTTP calls the benches make with it.
import type { Cloud } from '../src/cloud.js';

export async function adminToken(cloud: Cloud): Promise<{ token: string; projectId: string }> {
  const auth = await fetch(`${cloud.endpoints.identity}/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name: 'admin', domain: { id: 'default' }, password: cloud.credentials.admin } },
        },
        scope: { project: { name: 'admin', domain: { id: 'default' } } },
      },
    }),
  });
  if (auth.status !== 201) throw new Error(`bench: admin login failed (${auth.status})`);
  const body = (await auth.json()) as { token: { project: { id: string } } };
  return { token: auth.headers.get('x-subject-token') as string, projectId: body.token.project.id };
}

/** A JSON answer, read field by field by the benches. */
export type ApiBody = Record<string, Record<string, unknown>>;

/**
 * `call(url, method, body, type)` with the token: JSON in and out (or raw bytes with another
 * content type, e.g. an image upload); a 4xx/5xx answer throws with its body.
 */
export function apiCaller(token: string) {
  return async (url: string, method = 'GET', body?: unknown, type = 'application/json'): Promise<ApiBody> => {
    const r = await fetch(url, {
      method,
      headers: { 'X-Auth-Token': token, 'content-type': type },
      body:
        body === undefined
          ? undefined
          : type === 'application/json'
            ? JSON.stringify(body)
            : (body as Buffer),
    });
    const text = await r.text();
    if (r.status >= 400) throw new Error(`${method} ${url}: ${r.status} ${text}`);
    return text ? (JSON.parse(text) as ApiBody) : {};
  };
}
