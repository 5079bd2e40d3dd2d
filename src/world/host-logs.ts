// Where a host's /var/log/nova/NAME and /var/log/neutron/NAME are in the data dir. Agents of a
// host write DIR/logs/<host>/<file>; the API services of the controller write DIR/logs/<file>.
// RDO (packstack) names Neutron's files without the `neutron-` prefix (server.log,
// openvswitch-agent.log, dhcp-agent.log, l3-agent.log), Nova's with it (nova-compute.log), so
// both spellings are looked up.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { HostSpec } from '../sim/layout.js';

export function hostLogResolver(
  logDir: string,
  spec: HostSpec,
): (service: 'nova' | 'neutron', name: string) => string | undefined {
  const controller = spec.roles.includes('controller');
  return (service, name) => {
    if (!name.endsWith('.log')) return undefined;
    const names = [name];
    if (service === 'neutron') {
      if (name.startsWith('neutron-')) names.push(name.slice('neutron-'.length));
      else names.push(`neutron-${name}`);
    }
    const candidates = names.map((n) => join(logDir, spec.name, n));
    if (controller) candidates.push(...names.map((n) => join(logDir, n)));
    // A service of this host that has not logged yet still has its file on a real host (empty).
    return (
      candidates.find((p) => existsSync(p)) ?? (expected(spec, service, name) ? candidates[0] : undefined)
    );
  };
}

/** The log files a packstack host of these roles has (RDO names). */
const EXPECTED: Record<'nova' | 'neutron', (spec: HostSpec) => string[]> = {
  nova: (spec) => [
    ...(spec.roles.includes('compute') ? ['nova-compute.log'] : []),
    ...(spec.roles.includes('controller')
      ? ['nova-api.log', 'nova-conductor.log', 'nova-scheduler.log', 'nova-novncproxy.log']
      : []),
  ],
  neutron: (spec) => [
    'openvswitch-agent.log',
    ...(spec.roles.includes('network') ? ['dhcp-agent.log', 'l3-agent.log', 'metadata-agent.log'] : []),
    ...(spec.roles.includes('controller') ? ['server.log'] : []),
  ],
};

function expected(spec: HostSpec, service: 'nova' | 'neutron', name: string): boolean {
  return EXPECTED[service](spec).includes(name);
}

/** What `ls /var/log/nova` (or neutron) shows: the host's files of that service, in RDO's names. */
export function hostLogNames(logDir: string, spec: HostSpec, service: 'nova' | 'neutron'): string[] {
  const names = new Set<string>();
  const scan = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const f of readdirSync(dir)) {
      if (!f.endsWith('.log')) continue;
      if (service === 'nova' && f.startsWith('nova-')) names.add(f);
      if (service === 'neutron' && f.startsWith('neutron-'))
        names.add(f === 'neutron-server.log' ? 'server.log' : f.slice(8));
    }
  };
  scan(join(logDir, spec.name));
  if (spec.roles.includes('controller')) scan(logDir);
  for (const n of EXPECTED[service](spec)) names.add(n);
  return [...names].sort();
}
