// Name resolution inside the guest: dotted quads and /etc/hosts (CirrOS ships `127.0.0.1
// localhost`). There is no DNS server in the emulated networks yet, so any other name fails the
// way busybox reports an unresolvable host.

import { parseIp } from '../wire/ipv4-address.js';
import type { GuestOs } from './os.js';

/** /etc/hosts of the image. */
export const ETC_HOSTS = '127.0.0.1\tlocalhost\n';

export function resolveHost(os: GuestOs, name: string): number | null {
  const n = parseIp(name);
  if (n !== null) return n;
  const hosts = os.files.get('/etc/hosts') ?? ETC_HOSTS;
  for (const line of hosts.split('\n')) {
    const [addr, ...names] = line.trim().split(/\s+/);
    if (names.includes(name)) return parseIp(addr);
  }
  return null;
}
