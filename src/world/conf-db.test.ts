// Each host's Open vSwitch database outlives the world as DIR/hosts/<host>/etc/openvswitch/conf.db:
// saved after a burst of commits and on close, read back by the next world before anything runs,
// never written for an ephemeral world, and a damaged file leaves that host fresh with a warning.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { multiNode } from '../sim/layout.js';
import type { Logger } from '../sim/oslo-log.js';
import { World, type WorldOptions } from './world.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function dataDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'pocketstack-confdb-'));
  dirs.push(d);
  return d;
}

const confPath = (dir: string, host: string) => join(dir, 'hosts', host, 'etc/openvswitch/conf.db');

function world(dir: string, opts: WorldOptions = {}): { world: World; warnings: string[] } {
  const warnings: string[] = [];
  const log = (host: string, file: string): Logger => {
    const w = (m: string) => warnings.push(`${host}/${file}: ${m}`);
    return { debug: () => {}, info: () => {}, warning: w, error: w };
  };
  return {
    world: new World(multiNode(1), { pacing: 'manual', dataDir: dir, persistOvsdb: true, log, ...opts }),
    warnings,
  };
}

function vsctl(w: World, host: string, ...argv: string[]): string {
  const r = w.host(host)!.vswitchd.vsctl(argv);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

test('a host gets its bridges, ports and tags back from conf.db; the file is saved once per burst', async () => {
  const dir = dataDir();
  const { world: w1 } = world(dir);
  vsctl(w1, 'compute1', 'add-br', 'br-int', '--', 'set-fail-mode', 'br-int', 'secure');
  for (let i = 0; i < 300; i++)
    vsctl(
      w1,
      'compute1',
      'add-port',
      'br-int',
      `tap${i}`,
      '--',
      'set',
      'Interface',
      `tap${i}`,
      'type=internal',
    );
  vsctl(w1, 'compute1', 'set', 'Port', 'tap7', 'tag=5', 'other_config:net_uuid=n1');
  assert.equal(existsSync(confPath(dir, 'compute1')), false, 'not written inside the burst');
  await new Promise((r) => setTimeout(r, 400));
  const first = statSync(confPath(dir, 'compute1')).mtimeMs;
  assert.match(readFileSync(confPath(dir, 'compute1'), 'utf8'), /"tap299"/);
  // A database that did not change is not written again (the agents read it every loop).
  vsctl(w1, 'compute1', 'list', 'Port', 'tap7');
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(statSync(confPath(dir, 'compute1')).mtimeMs, first);
  assert.equal(existsSync(confPath(dir, 'controller')), false, 'a host that never changed has no file');
  const show = vsctl(w1, 'compute1', 'show');
  w1.close();

  const { world: w2, warnings } = world(dir);
  assert.equal(vsctl(w2, 'compute1', 'show'), show);
  assert.equal(vsctl(w2, 'compute1', 'get', 'Port', 'tap7', 'other_config:net_uuid'), 'n1\n');
  assert.ok(w2.host('compute1')!.kernel.device('tap7'), 'internal ports are devices again');
  assert.deepEqual(warnings, []);
  w2.close();
});

test('an ephemeral world (no persistOvsdb) writes nothing', () => {
  const dir = dataDir();
  const { world: w } = world(dir, { persistOvsdb: false });
  vsctl(w, 'compute1', 'add-br', 'br-int');
  w.close();
  assert.equal(existsSync(confPath(dir, 'compute1')), false);
});

test('a damaged conf.db leaves that host fresh, with a warning in its log and the file kept aside', () => {
  const dir = dataDir();
  const { world: w1 } = world(dir);
  for (const h of ['controller', 'compute1']) vsctl(w1, h, 'add-br', 'br-int');
  w1.close();
  writeFileSync(confPath(dir, 'compute1'), '{"format":"pocketstack-ovsdb/1","tables":{"Bridge":');

  const { world: w2, warnings } = world(dir);
  assert.equal(vsctl(w2, 'compute1', 'list-br'), '', 'compute1 starts with an empty database');
  assert.equal(vsctl(w2, 'controller', 'list-br'), 'br-int\n', 'the other host is unaffected');
  assert.equal(warnings.length, 1);
  assert.match(
    warnings[0],
    /^compute1\/ovsdb-server\.log: .*conf\.db: cannot read the saved Open vSwitch database/,
  );
  assert.ok(existsSync(`${confPath(dir, 'compute1')}.corrupt`));
  // The fresh host's database is what gets saved from now on.
  vsctl(w2, 'compute1', 'add-br', 'br-tun');
  w2.close();
  const { world: w3 } = world(dir);
  assert.equal(vsctl(w3, 'compute1', 'list-br'), 'br-tun\n');
  w3.close();
});
