// The real-client harness: a pocketstack on free loopback ports, and Debian's `openstack`,
// `nova`, `glance` run against it with the environment of a keystonerc file.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Running, up } from '../../src/cli/up.js';
import { DEFAULT_PORTS } from '../../src/cloud.js';
import type { LayoutOptions } from '../../src/sim/layout.js';

export const repoRoot = new URL('../../../', import.meta.url).pathname;

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen({ host: '127.0.0.1', port }, () => s.close(() => resolve(true)));
  });
}

/** An offset at which every pocketstack port is free (tests run in parallel, each on its own). */
export async function freePortOffset(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const offset = 10000 + Math.floor(Math.random() * 400) * 100 + Math.floor(Math.random() * 50);
    const ports = Object.values(DEFAULT_PORTS).map((p) => p + offset);
    if (ports.every((p) => p < 65536) && (await Promise.all(ports.map(portFree))).every(Boolean))
      return offset;
  }
  throw new Error('no free port offset found');
}

/** Parses `export NAME=value` lines of a keystonerc into an environment. */
export function rcEnv(path: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const m of readFileSync(path, 'utf8').matchAll(/^\s*export (\w+)=(?:'([^']*)'|(\S*))$/gm))
    env[m[1]] = m[2] ?? m[3];
  return env;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command with the given OS_* environment (nothing else of ours leaks in). */
export function run(
  cmd: string,
  args: string[],
  env: Record<string, string>,
  input?: string,
): Promise<CliResult> {
  return new Promise((resolve) => {
    const base = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !k.startsWith('OS_')),
    ) as Record<string, string>;
    const child = execFile(
      cmd,
      args,
      { env: { ...base, ...env }, maxBuffer: 64 * 1024 * 1024, timeout: 120_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

export interface TestCloud {
  running: Running;
  dataDir: string;
  offset: number;
  admin: Record<string, string>;
  demo: Record<string, string>;
  /** `openstack ARGS` as admin (or with env overrides). */
  openstack(args: string[], env?: Record<string, string>): Promise<CliResult>;
  stop(): Promise<void>;
}

/** An in-process cloud (ephemeral unless a data dir is given) with keystonerc environments. */
export async function startTestCloud(
  o: {
    dataDir?: string;
    ephemeral?: boolean;
    /** The hosts, as `pocketstack up --layout … --computes … --host-ram …` takes them. */
    layout?: LayoutOptions;
    /** `pocketstack up --config-dir DIR`: neutron.conf and ml2_conf.ini of the test's own. */
    configDir?: string;
    /** Glance's image_size_cap in bytes. */
    imageSizeCap?: number;
    /** nova.conf's vif_plugging_timeout in seconds. */
    vifPluggingTimeout?: number;
  } = {},
): Promise<TestCloud> {
  const offset = await freePortOffset();
  const dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), 'pocketstack-test-'));
  const running = await up({
    dataDir,
    defaultDataDir: dataDir,
    ephemeral: o.ephemeral ?? true,
    bind: '127.0.0.1',
    portOffset: offset,
    layout: o.layout,
    configDir: o.configDir,
    vifPluggingTimeout: o.vifPluggingTimeout,
    imageSizeCap: o.imageSizeCap,
    out: () => {},
  });
  const admin = rcEnv(join(dataDir, 'keystonerc_admin'));
  const demo = rcEnv(join(dataDir, 'keystonerc_demo'));
  return {
    running,
    dataDir,
    offset,
    admin,
    demo,
    openstack: (args, env = {}) => run('openstack', args, { ...admin, ...env }),
    stop: async () => {
      await running.stop();
      if (!o.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const spawned = new Set<ReturnType<typeof spawn>>();
/** Kills every cloud process a test started and did not stop (a failed assertion midway). */
export function killSpawned(): void {
  for (const c of spawned) c.kill('SIGKILL');
  spawned.clear();
}

/** Runs bin/pocketstack as its own process; resolves once it printed its ready line. */
export function spawnPocketstack(
  args: string[],
): Promise<{ output: () => string; kill: (sig?: NodeJS.Signals) => Promise<number | null> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'bin/pocketstack'), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    spawned.add(child);
    exited.then(() => spawned.delete(child));
    const onData = (d: Buffer) => {
      out += d.toString();
      // The ready block ends with the logs line.
      if (/pocketstack ready[\s\S]*\nlogs: .*\n/.test(out))
        resolve({
          output: () => out,
          kill: async (sig = 'SIGINT') => {
            child.kill(sig);
            return exited;
          },
        });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    exited.then((code) => reject(new Error(`pocketstack exited (${code}) before ready:\n${out}`)));
  });
}
