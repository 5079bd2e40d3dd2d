// Where a host's /var/log/nova/NAME and /var/log/neutron/NAME are in the data dir. Agents of a
// host write DIR/logs/<host>/<file>; the API services of the controller write DIR/logs/<file>.
// RDO (packstack) names Neutron's files without the `neutron-` prefix (server.log,
// openvswitch-agent.log, dhcp-agent.log, l3-agent.log), Nova's with it (nova-compute.log), so
// both spellings are looked up.
import { existsSync } from 'node:fs';
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
function expected(spec: HostSpec, service: 'nova' | 'neutron', name: string): boolean {
  const files: string[] = [];
  const r = spec.roles;
  if (service === 'nova') {
    if (r.includes('compute')) files.push('nova-compute.log');
    if (r.includes('controller'))
      files.push('nova-api.log', 'nova-conductor.log', 'nova-scheduler.log', 'nova-novncproxy.log');
  } else {
    files.push('openvswitch-agent.log');
    if (r.includes('network')) files.push('dhcp-agent.log', 'l3-agent.log', 'metadata-agent.log');
    if (r.includes('controller')) files.push('server.log');
  }
  return files.includes(name);
}
