// S98-cirros-status (cirros 0.3.4 src/sbin/cirros-status and lib/cirros/shlib's ipinfo,
// check_ping_gateway, debug_connection): the `=== system information ===`, `=== sshd host keys ===`,
// `=== network info ===`, `=== datasource: … ===` and `=== cirros: current=… uptime=… ===` blocks,
// then — when the default gateway does not answer one ping within 3 s — `=== pinging gateway
// failed, debugging connection ===` and the debug dump (ifconfig -a, route -n, resolv.conf, pings).

import { Random } from '../sim/random.js';
import { ipToString } from '../wire/ipv4-address.js';
import { DMI_PLATFORM, memTotalKb } from './cirros.js';
import { interfaces, ipv6Of } from './ifconfig.js';
import { routeLine, sortedRoutes } from './ip-cmd.js';
import type { GuestOs } from './os.js';
import { BufferIo, type Io, runSteps, type Step } from './proc.js';
import type { Shell } from './shell.js';

/** An SSH public key blob in OpenSSH's text form, from seeded random numbers (real layout, made-up key). */
function sshKey(rng: Random, type: 'ssh-rsa' | 'ssh-dss'): string {
  const parts: Uint8Array[] = [];
  const str = (b: Uint8Array): void => {
    const len = new Uint8Array(4);
    new DataView(len.buffer).setUint32(0, b.length);
    parts.push(len, b);
  };
  const mpint = (n: number): Uint8Array => {
    const b = rng.bytes(new Uint8Array(n + 1));
    b[0] = 0;
    b[1] |= 0x80;
    return b;
  };
  str(new TextEncoder().encode(type));
  if (type === 'ssh-rsa') {
    str(Uint8Array.of(1, 0, 1));
    str(mpint(128));
  } else {
    str(mpint(128));
    str(mpint(20));
    str(mpint(128));
    str(mpint(128));
  }
  return Buffer.concat(parts).toString('base64');
}

function lsblk(os: GuestOs): string[] {
  const total = Math.max(1, os.flavor.disk) * 1024 ** 3;
  const rows: string[][] = [['vda', '253:0', String(total), '', '']];
  // growroot has grown vda1 to the end of the disk; 0.3.x partitions start at sector 16065
  if (os.release.hasVda15) {
    rows.push(['vda1', '253:1', String(total - 18432 * 512 - 512 * 34), 'cirros-rootfs', '/']);
    rows.push(['vda15', '253:15', String(8 * 1024 * 1024), '', '']);
  } else {
    rows.push(['vda1', '253:1', String(total - 16065 * 512), 'cirros-rootfs', '/']);
  }
  const head = ['NAME', 'MAJ:MIN', 'SIZE', 'LABEL', 'MOUNTPOINT'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (r: string[]): string =>
    r.map((c, i) => (i === 2 ? c.padStart(w[i]) : i === r.length - 1 ? c : c.padEnd(w[i]))).join(' ');
  return [fmt(head), ...rows.map(fmt)];
}

/**
 * shlib's ipinfo over `ip addr show`: `lo,up,127.0.0.1,8,::1`. Its parser keeps the last `inet`
 * line's values and never resets the prefix length between interfaces, so an interface without an
 * IPv4 address shows the previous one's (`eth0,up,,8,fe80::…`), as on a real CirrOS. 0.4+ prints
 * the IPv6 prefix, skips lo's ::1 and ends the line with a comma (reference/guest.md).
 */
export function ifInfo(os: GuestOs): string[] {
  let nm = '';
  return interfaces(os).map((d) => {
    const a = d.addresses[d.addresses.length - 1];
    if (a !== undefined) nm = String(a.prefixLen);
    const modern = os.release.statusV6Prefix;
    const v6 = d.kind === 'loopback' && modern ? undefined : ipv6Of(d).at(-1);
    const v6text = v6 === undefined ? '' : modern ? `${v6.addr}/${v6.plen}` : v6.addr;
    const line = `if-info: ${d.name},${d.adminUp ? 'up' : 'down'},${a === undefined ? '' : ipToString(a.address)},${nm},${v6text}`;
    return modern ? `${line},` : line;
  });
}

/** The status block up to and including `=== cirros: … ===`. */
export function statusBlock(os: GuestOs): string[] {
  const rng = new Random(os.hostKeySeed);
  const out = [
    '=== system information ===',
    `Platform: ${DMI_PLATFORM}`,
    'Container: none',
    'Arch: x86_64',
    `CPU(s): ${os.flavor.vcpus} @ ${os.mhz.toFixed(3)} MHz`,
    // Nova's default topology: one socket per vCPU, one core, one thread
    `Cores/Sockets/Threads: 1/${os.flavor.vcpus}/1`,
    'Virt-type: VT-x',
    `RAM Size: ${Math.floor(memTotalKb(os.flavor.ram) / 1024)}MB`,
    'Disks:',
    ...lsblk(os),
    '=== sshd host keys ===',
    '-----BEGIN SSH HOST KEY KEYS-----',
    `ssh-rsa ${sshKey(rng, 'ssh-rsa')} root@${os.hostname}`,
    `ssh-dss ${sshKey(rng, 'ssh-dss')} root@${os.hostname}`,
    '-----END SSH HOST KEY KEYS-----',
    '=== network info ===',
    ...ifInfo(os),
    ...sortedRoutes(os).map((r) => `ip-route:${routeLine(os, r)}`),
  ];
  if (os.release.statusV6Prefix && os.eth0.adminUp) out.push('ip-route6:fe80::/64 dev eth0  metric 256 ');
  const ds = os.datasource;
  if (ds !== null) {
    out.push(`=== datasource: ${ds.name} ${ds.mode} ===`);
    for (const k of ['instance-id', 'name', 'availability-zone', 'local-hostname', 'launch-index']) {
      out.push(`${k}: ${ds.items[k] ?? 'N/A'}`);
    }
  } else {
    out.push('=== datasource: None None ===');
  }
  out.push(`=== cirros: current=${os.release.version} uptime=${os.uptimeText()} ===`);
  return out;
}

/** The default gateway as shlib's net_get_gateway reads it from `route -n`. */
export function defaultGateway(os: GuestOs): string | null {
  const r = sortedRoutes(os).find((x) => x.dst === 0 && x.via !== 0);
  return r === undefined ? null : ipToString(r.via);
}

/** Runs a shell command line as root with output to `io`, then `next`. */
export function shellStep(shell: Shell, line: string, io: Io): Step {
  return (next) => {
    shell.exec(line.split(' '), io, () => next(), 'root');
  };
}

/** check_ping_gateway, and debug_connection when it fails. */
export function gatewayCheckStep(os: GuestOs, shell: Shell, kernelTail: string[]): Step {
  return (next) => {
    const gw = defaultGateway(os);
    const debug = (): void => {
      const io: Io = { out: (t) => os.console.write(t), err: (t) => os.console.write(t) };
      const say =
        (line: string): Step =>
        (n) => {
          os.console.line(line);
          n();
        };
      const steps: Step[] = [
        say('=== pinging gateway failed, debugging connection ==='),
        say('############ debug start ##############'),
        say('### /etc/init.d/sshd start'),
        say('Starting dropbear sshd: FAIL'),
        say('### ifconfig -a'),
        shellStep(shell, 'ifconfig -a', io),
        say('### route -n'),
        shellStep(shell, 'route -n', io),
        say('### cat /etc/resolv.conf'),
        shellStep(shell, 'cat /etc/resolv.conf', io),
      ];
      if (gw !== null) steps.push(say(`### ping -c 5 ${gw}`), shellStep(shell, `ping -c 5 ${gw}`, io));
      else steps.push(say('### gateway not found'));
      steps.push(say('### pinging nameservers'));
      for (const ns of os.nameservers())
        steps.push(say(`#### ping -c 5 ${ns}`), shellStep(shell, `ping -c 5 ${ns}`, io));
      steps.push(
        say('### uname -a'),
        shellStep(shell, 'uname -a', io),
        say('### lsmod'),
        say('Module                  Size  Used by    Not tainted'),
        say('### dmesg | tail'),
        (n) => {
          for (const l of kernelTail) os.console.line(l);
          n();
        },
        say('### tail -n 25 /var/log/messages'),
        say('############ debug end   ##############'),
      );
      runSteps(steps, next);
    };
    if (gw === null) {
      debug();
      return;
    }
    const quiet = new BufferIo();
    shell.exec(['ping', '-c', '1', gw, '-W', '3'], quiet, (code) => (code === 0 ? next() : debug()), 'root');
  };
}
