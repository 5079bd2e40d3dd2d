// Guests: booting CirrOS guests (kernel lines, udhcpc DISCOVER/OFFER/REQUEST/ACK through a bridge
// to a DHCP stand-in, status block with the gateway ping, login prompt) and their busybox ping,
// under fast pacing. Figures: wall time and memory per guest, simulated seconds per wall second,
// and the wall cost of one guest-to-guest ping round trip through the shell.
import { readFileSync } from 'node:fs';
import { GuestLab } from '../src/guest/lab.js';

interface Figure {
  name: string;
  value: number;
  unit: string;
}

function rssMb(): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

const mac = (i: number): string =>
  `fa:16:3e:00:${((i >> 8) & 0xff).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}`;

export async function runGuestBench(n = 100): Promise<Figure[]> {
  const lab = new GuestLab(3);
  lab.network('net1', '10.0.0.0/16', '10.0.0.1');
  lab.namespace('qrouter-1', 'net1', '10.0.0.1/16');
  const leases: Record<string, string> = {};
  for (let i = 0; i < n; i++) leases[mac(i)] = `10.0.${(i + 10) >> 8}.${(i + 10) & 0xff}`;
  lab.dhcpServer(lab.namespace('qdhcp-1', 'net1', '10.0.0.2/16'), 'net1', leases);
  const guests = Array.from({ length: n }, (_, i) =>
    lab.guest(`vm${i}`, 'net1', mac(i), { configDrive: true }),
  );
  globalThis.gc?.();
  const rss0 = rssMb();
  const t0 = performance.now();
  const ok = lab.bootAll(guests, 60);
  const bootWall = performance.now() - t0;
  if (!ok) throw new Error('guests did not boot');
  const bootVirtual = lab.sched.now / 1e9;
  globalThis.gc?.();
  const rss1 = rssMb();

  // one guest without DHCP server nor metadata: the whole 4-minute failing boot
  const lone = new GuestLab(4);
  lone.network('net1', '10.0.0.0/24', '10.0.0.1');
  const g = lone.guest('lonely', 'net1', 'fa:16:3e:ff:ff:ff');
  const t1 = performance.now();
  lone.bootAll([g], 600);
  const lonelyWall = performance.now() - t1;
  const lonelyVirtual = lone.sched.now / 1e9;

  // every guest pings its neighbour 10 times, 0.2 s apart, all at once
  let pending = n;
  let received = 0;
  const t2 = performance.now();
  for (let i = 0; i < n; i++) {
    let out = '';
    guests[i].exec(
      `ping -c 10 -i 0.2 ${leases[mac((i + 1) % n)]}`,
      { out: (t) => (out += t), err: (t) => (out += t) },
      () => {
        pending--;
        received += Number(/(\d+) packets received/.exec(out)?.[1] ?? 0);
      },
    );
  }
  lab.sched.runUntil(() => pending === 0, 60e9);
  const pingWall = performance.now() - t2;
  return [
    { name: `${n} guests booted with DHCP lease (config drive)`, value: bootWall, unit: 'ms wall' },
    { name: 'per guest boot', value: bootWall / n, unit: 'ms wall' },
    { name: 'virtual time to all login prompts', value: bootVirtual, unit: 's' },
    { name: 'RSS per booted guest', value: ((rss1 - rss0) * 1024) / n, unit: 'KiB' },
    { name: 'boot without DHCP/metadata (No lease + 20 metadata tries)', value: lonelyWall, unit: 'ms wall' },
    { name: '  … its virtual duration', value: lonelyVirtual, unit: 's' },
    { name: `${n} guests × ping -c 10 neighbour: replies`, value: received, unit: 'replies' },
    { name: '  … wall time', value: pingWall, unit: 'ms' },
    { name: '  … per echo round trip', value: (pingWall * 1000) / Math.max(1, received), unit: 'µs wall' },
  ];
}

const isMain = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) {
  for (const f of await runGuestBench()) console.log(`${f.name}: ${f.value.toFixed(2)} ${f.unit}`);
}
