// `pocketstack status`: what runs, where, since when.
import type { CommandIO } from '../api/control.js';
import type { Cloud } from '../cloud.js';

const services: [string, keyof Cloud['ports'], (c: Cloud) => string][] = [
  ['keystone (identity)', 'identity', (c) => c.endpoints.identity],
  ['nova-api (compute)', 'compute', (c) => c.endpoints.compute],
  ['glance-api (image)', 'image', (c) => c.endpoints.image],
  ['neutron-server (network)', 'network', (c) => c.endpoints.network],
  ['nova-novncproxy (console)', 'console', (c) => c.endpoints.console],
];

export function formatUptime(ms: number): string {
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  return [d ? `${d}d` : '', d || h ? `${h}h` : '', d || h || m ? `${m}m` : '', `${s % 60}s`]
    .filter(Boolean)
    .join(' ');
}

export function statusText(cloud: Cloud, now = new Date()): string {
  const lines = [
    `pocketstack is up ${formatUptime(now.getTime() - cloud.startedAt.getTime())} (pid ${process.pid})`,
    `data dir: ${cloud.dataDir}${cloud.ephemeral ? ' (ephemeral: state in memory only)' : ''}`,
    `bind: ${cloud.bind}`,
    '',
    `Hosts (layout ${cloud.layout.name}, data network ${cloud.layout.underlayCidr}):`,
    ...cloud.layout.hosts.map(
      (h) =>
        `  ${h.name.padEnd(16)} ${h.underlayIp.padEnd(16)} ${`${Math.round(h.ramMb / 1024)} GB RAM, ${h.vcpus} vCPUs`.padEnd(22)} ${h.roles.join(', ')}`,
    ),
    '',
    'Services:',
    ...services.map(
      ([name, port, url]) => `  ${name.padEnd(28)} port ${String(cloud.ports[port]).padEnd(6)} ${url(cloud)}`,
    ),
    '',
  ];
  return lines.join('\n');
}

export function registerStatus(cloud: Cloud): void {
  cloud.control.register(
    'status',
    'hosts, services, uptime and ports of the running cloud',
    async (_args, io: CommandIO) => {
      io.stdout(statusText(cloud));
      return 0;
    },
  );
}
