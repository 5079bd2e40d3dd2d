// The admin's project-scoped token of a bench cloud: POST /v3/auth/tokens as the clients send it.
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
