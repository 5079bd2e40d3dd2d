// keystonerc_admin / keystonerc_demo as packstack writes them, and a clouds.yaml for the SDK.
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';

export interface RcUser {
  username: string;
  password: string;
  project: string;
  /** The name shown in the prompt: keystone_admin, keystone_demo. */
  prompt: string;
}

const shellQuote = (s: string) =>
  /^[A-Za-z0-9_./:@%+=,-]+$/.test(s) ? s : `'${s.replaceAll("'", "'\\''")}'`;

export function keystonerc(authUrl: string, u: RcUser): string {
  return [
    'unset OS_SERVICE_TOKEN',
    `    export OS_USERNAME=${shellQuote(u.username)}`,
    `    export OS_PASSWORD=${shellQuote(u.password)}`,
    '    export OS_REGION_NAME=RegionOne',
    `    export OS_AUTH_URL=${authUrl}`,
    `    export PS1='[\\u@\\h \\W(${u.prompt})]\\$ '`,
    '',
    `export OS_PROJECT_NAME=${shellQuote(u.project)}`,
    'export OS_USER_DOMAIN_NAME=Default',
    'export OS_PROJECT_DOMAIN_NAME=Default',
    'export OS_IDENTITY_API_VERSION=3',
    '',
  ].join('\n');
}

export function cloudsYaml(authUrl: string, users: { cloud: string; user: RcUser }[]): string {
  const clouds: Record<string, unknown> = {};
  for (const { cloud, user } of users) {
    clouds[cloud] = {
      auth: {
        auth_url: authUrl,
        username: user.username,
        password: user.password,
        project_name: user.project,
        user_domain_name: 'Default',
        project_domain_name: 'Default',
      },
      region_name: 'RegionOne',
      interface: 'public',
      identity_api_version: 3,
    };
  }
  return stringify({ clouds });
}

/** Writes the three files (mode 0600: they hold passwords) and returns their paths. */
export function writeCredentialFiles(dir: string, authUrl: string, admin: string, demo: string) {
  const adminUser: RcUser = {
    username: 'admin',
    password: admin,
    project: 'admin',
    prompt: 'keystone_admin',
  };
  const demoUser: RcUser = { username: 'demo', password: demo, project: 'demo', prompt: 'keystone_demo' };
  const paths = {
    admin: join(dir, 'keystonerc_admin'),
    demo: join(dir, 'keystonerc_demo'),
    clouds: join(dir, 'clouds.yaml'),
  };
  writeFileSync(paths.admin, keystonerc(authUrl, adminUser), { mode: 0o600 });
  writeFileSync(paths.demo, keystonerc(authUrl, demoUser), { mode: 0o600 });
  writeFileSync(
    paths.clouds,
    cloudsYaml(authUrl, [
      { cloud: 'pocketstack-admin', user: adminUser },
      { cloud: 'pocketstack-demo', user: demoUser },
    ]),
    { mode: 0o600 },
  );
  for (const p of Object.values(paths)) chmodSync(p, 0o600);
  return paths;
}
