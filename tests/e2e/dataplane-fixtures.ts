// What the data-plane scenarios share: `pocketstack host exec` / `vm exec` through the real CLI
// process, `openstack … -f json`, waiting for the agents to converge, and the seed's networks
// and servers.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { type CliResult, repoRoot, run, type TestCloud } from './harness.js';
import { uploadImage } from './nova-fixtures.js';

const bin = join(repoRoot, 'bin/pocketstack');

/** `pocketstack ARGS --data-dir DIR …` as a user types it (the control socket of the cloud). */
export function pocketstack(
  cloud: TestCloud,
  cmd: 'host' | 'vm',
  sub: string,
  ...rest: string[]
): Promise<CliResult> {
  return run(process.execPath, [bin, cmd, sub, '--data-dir', cloud.dataDir, ...rest], {});
}

/** `pocketstack host exec HOST -- ARGV`; fails the test on a non-zero exit. */
export async function hostExec(cloud: TestCloud, host: string, ...argv: string[]): Promise<string> {
  const r = await pocketstack(cloud, 'host', 'exec', host, '--', ...argv);
  assert.equal(r.code, 0, `${host}: ${argv.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** `pocketstack vm exec VM -- ARGV` (the exit code is the guest command's). */
export function vmExec(cloud: TestCloud, vm: string, ...argv: string[]): Promise<CliResult> {
  return pocketstack(cloud, 'vm', 'exec', vm, '--', ...argv);
}

// biome-ignore lint/suspicious/noExplicitAny: the client's JSON, read field by field in the tests
export type Json = any;

/** `openstack ARGS -f json` as admin, parsed; fails the test on an error. */
export async function osJson(cloud: TestCloud, args: string[]): Promise<Json> {
  const r = await cloud.openstack([...args, '-f', 'json']);
  assert.equal(r.code, 0, `openstack ${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** `openstack ARGS` as admin; fails the test on an error. */
export async function os(cloud: TestCloud, args: string[]): Promise<string> {
  const r = await cloud.openstack(args);
  assert.equal(r.code, 0, `openstack ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Polls until `check` gives a value (the agents converge within their loop of 2 s). */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  ms = 15_000,
): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > until) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** The seed's networks: vxlan10 with 172.16.10.0/24, vxlan11 with 172.16.11.0/24 (as admin). */
export async function seedNetworks(
  cloud: TestCloud,
  which: (10 | 11)[] = [10, 11],
): Promise<Record<number, string>> {
  const ids: Record<number, string> = {};
  for (const n of which) {
    ids[n] = (await osJson(cloud, ['network', 'create', `vxlan${n}`])).id;
    await os(cloud, [
      'subnet',
      'create',
      '--network',
      `vxlan${n}`,
      '--subnet-range',
      `172.16.${n}.0/24`,
      `subnet172_16_${n}_0`,
    ]);
  }
  return ids;
}

export interface Booted {
  id: string;
  ip: string;
  portId: string;
  host: string;
}

const withImage = new WeakSet<TestCloud>();

/**
 * Boots CirrOS servers (`--wait`), optionally on a given host (admin's `--availability-zone
 * nova:HOST`); uploads the image first unless told it is there.
 */
export async function bootServers(
  cloud: TestCloud,
  servers: { name: string; network: string; host?: string }[],
  o: { uploadImage?: boolean } = {},
): Promise<Record<string, Booted>> {
  if (o.uploadImage !== false && !withImage.has(cloud)) {
    withImage.add(cloud);
    await uploadImage(cloud);
  }
  const out: Record<string, Booted> = {};
  await Promise.all(
    servers.map(async (s) => {
      const server = await osJson(cloud, [
        ...['server', 'create', '--image', 'cirros-0.3.4-x86_64', '--flavor', 'm1.tiny'],
        ...['--network', s.network, ...(s.host ? ['--availability-zone', `nova:${s.host}`] : [])],
        ...[s.name, '--wait'],
      ]);
      assert.equal(server.status, 'ACTIVE', `${s.name}: ${JSON.stringify(server.fault ?? {})}`);
      const [port] = (await osJson(cloud, ['port', 'list', '--device-id', server.id])) as unknown as {
        ID: string;
        'Fixed IP Addresses': { ip_address: string }[];
      }[];
      out[s.name] = {
        id: server.id,
        ip: port['Fixed IP Addresses'][0].ip_address,
        portId: port.ID,
        host: server['OS-EXT-SRV-ATTR:host'],
      };
    }),
  );
  return out;
}

/** The guest's console log has its DHCP lease (udhcpc at boot). */
export async function leaseLine(cloud: TestCloud, name: string): Promise<string> {
  let log = '';
  const line = await eventually(
    `${name}'s lease`,
    async () => {
      log = await os(cloud, ['console', 'log', 'show', name]);
      return /^Lease of \S+ obtained, lease time \d+$/m.exec(log)?.[0] ?? undefined;
    },
    10_000,
  ).catch(() => assert.fail(`no lease in ${name}'s console log:\n${log}`));
  return line;
}

/** The Port tag ovs-vsctl shows for a port's qvo. */
export async function qvoTag(cloud: TestCloud, host: string, portId: string): Promise<number> {
  return Number(
    (await hostExec(cloud, host, 'ovs-vsctl', 'get', 'Port', `qvo${portId.slice(0, 11)}`, 'tag')).trim(),
  );
}

/** Polls `ping -c 1 DST` from a guest until it is answered; the reply text (ping's exit is not a failure). */
export function vmReaches(cloud: TestCloud, vm: string, dst: string): Promise<string> {
  return eventually(`${vm} → ${dst}`, async () => {
    const out = (await vmExec(cloud, vm, 'ping', '-c', '1', dst)).stdout;
    return / 0% packet loss/.test(out) ? out : undefined;
  });
}

/** Polls `ping -c 1 DST` from a host's root namespace until it is answered (ping exits 1 meanwhile). */
export function hostReaches(cloud: TestCloud, host: string, dst: string): Promise<string> {
  return eventually(`${host} → ${dst}`, async () => {
    const out = (await pocketstack(cloud, 'host', 'exec', host, '--', 'ping', '-c', '1', dst)).stdout;
    return / 0% packet loss/.test(out) ? out : undefined;
  });
}

/**
 * The seed's router10_11 on both subnets with its gateway on `public`, ICMP let into the default
 * group, and a floating IP on `server`: the command block's outside pings. Returns the floating IP.
 */
export async function routerWithFloatingIp(cloud: TestCloud, server: string): Promise<string> {
  await os(cloud, ['router', 'create', 'router10_11']);
  await os(cloud, ['router', 'add', 'subnet', 'router10_11', 'subnet172_16_10_0']);
  await os(cloud, ['router', 'add', 'subnet', 'router10_11', 'subnet172_16_11_0']);
  await os(cloud, ['router', 'set', '--external-gateway', 'public', 'router10_11']);
  await os(cloud, ['security', 'group', 'rule', 'create', '--protocol', 'icmp', 'default']);
  const fip = (
    await os(cloud, ['floating', 'ip', 'create', 'public', '-f', 'value', '-c', 'floating_ip_address'])
  ).trim();
  await os(cloud, ['server', 'add', 'floating', 'ip', server, fip]);
  return fip;
}

/** `ip netns` of a host, sorted, without the `(id: N)` suffixes. */
export async function netnsOf(cloud: TestCloud, host: string): Promise<string[]> {
  return (await hostExec(cloud, host, 'ip', 'netns'))
    .replace(/ \(id: \d+\)/g, '')
    .split('\n')
    .filter(Boolean)
    .sort();
}

/**
 * After a restart each guest's first DHCPDISCOVER was answered (nova-compute held it paused until
 * its port was wired again): one `Sending discover...` and a lease on each console.
 */
export async function assertFirstDiscoverAnswered(cloud: TestCloud, servers: string[]): Promise<void> {
  for (const name of servers) {
    const log = await os(cloud, ['console', 'log', 'show', name]);
    assert.equal(log.match(/^Sending discover\.\.\.$/gm)?.length, 1, `${name}:\n${log}`);
    assert.match(log, /^Lease of \d+\.\d+\.\d+\.\d+ obtained/m);
  }
}
