// `pocketstack host list` / `host exec` through the real CLI process and the control socket:
// a host tool's output, a device made by hand, a pipe, bash's exit code for an unknown command,
// and Ctrl-C ending a running ping with its statistics.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePortOffset, killSpawned, repoRoot, run, spawnPocketstack } from './harness.js';

const bin = join(repoRoot, 'bin/pocketstack');

describe('pocketstack host', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pocketstack-host-'));
  let cloud: Awaited<ReturnType<typeof spawnPocketstack>>;
  const ps = (args: string[]) => run(process.execPath, [bin, ...args], {});

  before(async () => {
    const offset = await freePortOffset();
    cloud = await spawnPocketstack(['up', '--ephemeral', '--data-dir', dir, '--port-offset', String(offset)]);
  });
  after(async () => {
    await cloud?.kill();
    killSpawned();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists the hosts and runs host tools on them', async () => {
    const list = await ps(['host', 'list', '--data-dir', dir]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^HOST +ROLES +UNDERLAY IP +RAM USED +RAM TOTAL +GUESTS\n/);
    assert.match(
      list.stdout,
      /^localhost +controller,network,compute +192\.168\.136\.66 +5120 MB +16384 MB +0$/m,
    );

    const br = await ps(['host', 'exec', '--data-dir', dir, 'localhost', '--', 'ip', '-br', 'link']);
    assert.equal(br.code, 0, br.stderr);
    assert.match(br.stdout, /^lo {15}UNKNOWN {8}00:00:00:00:00:00 <LOOPBACK,UP,LOWER_UP> \n/);
    assert.match(br.stdout, /^eth1 {13}UP {13}[0-9a-f:]{17} <BROADCAST,MULTICAST,UP,LOWER_UP> $/m);

    assert.equal(
      (
        await ps([
          'host',
          'exec',
          '--data-dir',
          dir,
          'localhost',
          '--',
          'ip',
          'link',
          'add',
          'dummy0',
          'type',
          'dummy',
        ])
      ).code,
      0,
    );
    const piped = await ps([
      'host',
      'exec',
      '--data-dir',
      dir,
      'localhost',
      'ip -br link | grep dummy0 | wc -l',
    ]);
    assert.equal(piped.stdout, '1\n');

    // piped stdin reaches the remote command
    const rules =
      '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -p icmp -j ACCEPT\nCOMMIT\n';
    const restore = await run(
      process.execPath,
      [bin, 'host', 'exec', '--data-dir', dir, 'localhost', '--', 'iptables-restore'],
      {},
      rules,
    );
    assert.equal(restore.code, 0, restore.stderr);
    assert.equal(
      (await ps(['host', 'exec', '--data-dir', dir, 'localhost', '--', 'iptables', '-S', 'INPUT'])).stdout,
      '-P INPUT ACCEPT\n-A INPUT -p icmp -j ACCEPT\n',
    );

    const missing = await ps(['host', 'exec', '--data-dir', dir, 'localhost', '--', 'virt-nope']);
    assert.equal(missing.code, 127);
    assert.equal(missing.stderr, 'bash: virt-nope: command not found\n');
    const noHost = await ps(['host', 'exec', '--data-dir', dir, 'nohost', '--', 'hostname']);
    assert.equal(noHost.code, 2);
    assert.match(noHost.stderr, /no host named 'nohost'/);
  });

  it('Ctrl-C interrupts a running ping, which prints its statistics', async () => {
    const child = spawn(
      process.execPath,
      [bin, 'host', 'exec', '--data-dir', dir, 'localhost', '--', 'ping', '127.0.0.1'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    const code = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (/icmp_seq=2 /.test(out)) resolve();
      });
      child.once('exit', () => resolve());
    });
    child.kill('SIGINT');
    assert.equal(await code, 0);
    assert.match(
      out,
      /^PING 127\.0\.0\.1 \(127\.0\.0\.1\) 56\(84\) bytes of data\.\n64 bytes from 127\.0\.0\.1: icmp_seq=1 ttl=64 time=0\.\d{3} ms\n/,
    );
    assert.match(
      out,
      /--- 127\.0\.0\.1 ping statistics ---\n[23] packets transmitted, [23] received, 0% packet loss, time \d+ms\nrtt min\/avg\/max\/mdev = /,
    );
  });
});
