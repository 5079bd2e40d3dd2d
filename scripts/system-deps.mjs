// The Debian tools the tests drive. Installed with apt-get when missing (CI runs as root on
// Debian 12), and said so, since an install takes a while.
import { spawnSync } from 'node:child_process';

export const debianTools = [
  { command: 'openstack', packages: ['python3-openstackclient'] },
  { command: 'nova', packages: ['python3-novaclient'] },
  { command: 'glance', packages: ['python3-glanceclient'] },
  { command: 'neutron', packages: ['python3-neutronclient'] },
  { command: 'tshark', packages: ['tshark'] },
  // the host-tools tests compare pocketstack's tcpdump lines with the real tcpdump reading the same pcap
  { command: 'tcpdump', packages: ['tcpdump'] },
  { command: 'qemu-img', packages: ['qemu-utils'] },
  { command: 'ssh-keygen', packages: ['openssh-client'] },
  // the noVNC console page test drives Debian's chromium headless (playwright-core, no browser download)
  { command: 'chromium', packages: ['chromium'] },
];

const has = (command) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;

export function ensureDebianTools(tools = debianTools) {
  const missing = tools.filter((t) => !has(t.command));
  if (missing.length === 0) return;
  const packages = [...new Set(missing.flatMap((t) => t.packages))];
  console.log(
    `test setup: installing ${packages.join(' ')} with apt-get (missing: ${missing.map((t) => t.command).join(', ')})`,
  );
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const sudo = process.getuid && process.getuid() !== 0 ? ['sudo'] : [];
  const opts = { stdio: 'inherit', env };
  spawnSync(
    sudo[0] ?? 'apt-get',
    [...sudo.slice(1), ...(sudo.length ? ['apt-get'] : []), 'update', '-qq'],
    opts,
  );
  const r = spawnSync(
    sudo[0] ?? 'apt-get',
    [...(sudo.length ? ['apt-get'] : []), 'install', '-y', '-qq', '--no-install-recommends', ...packages],
    opts,
  );
  if (r.status !== 0) {
    console.error(`test setup: apt-get install ${packages.join(' ')} failed`);
    process.exit(1);
  }
}
