// The boot of a CirrOS guest on virtual time, written to the serial console as it happens:
// the kernel's messages, the initramfs (growroot on first boot), rc.sysinit and the rc3.d scripts
// in their order — S01-logging, S10-load-modules, S20-urandom, S21-acpid, S35-cirros-ds-local,
// S40-network (udhcpc on eth0), S45-cirros-net-ds (metadata), S50-dropbear, S98-cirros-status,
// S99-logo — then getty's issue text and login prompt. Texts are cirros 0.3.4's (rc.sysinit's
// `info:` lines, buildroot's init scripts); step durations are typical of a KVM guest.

import { CIRROS_LOGO, issueText } from './cirros.js';
import { type ConfigDrive, dsLocalStep, dsNetStep, type MetadataClient } from './datasource.js';
import { kernelLog, kernelStamp } from './kernel-log.js';
import { cirrosUdhcpc } from './lease-script.js';
import type { GuestOs } from './os.js';
import { runSteps, type Step } from './proc.js';
import { Shell } from './shell.js';
import { gatewayCheckStep, statusBlock } from './status.js';

const MS = 1e6;

export interface BootOptions {
  /** First boot of this disk: growroot resizes vda1 and dropbear generates its host keys. */
  firstBoot: boolean;
  configDrive: ConfigDrive | null;
  metadata: MetadataClient;
  /** Called when the login prompt is on the console. */
  onLoginPrompt(): void;
}

/** A step printing `lines` one after another, `gapMs` apart. */
function say(os: GuestOs, lines: string[], gapMs = 4): Step {
  return (next) => {
    let i = 0;
    const one = (): void => {
      if (i >= lines.length) {
        next();
        return;
      }
      os.console.line(lines[i++]);
      os.after(gapMs * MS, one);
    };
    one();
  };
}

function pause(os: GuestOs, ms: number): Step {
  return (next) => {
    os.after(ms * MS, next);
  };
}

/** The kernel's lines at their own timestamps (relative to power-on). */
function kernelStep(os: GuestOs, lines: [number, string][]): Step {
  return (next) => {
    let i = 0;
    const one = (): void => {
      // (real-time pacing makes the clock fractional: compare with half a nanosecond of slack and
      // wait whole nanoseconds, or rounding could reschedule the same instant forever)
      while (i < lines.length && os.bootAt + lines[i][0] * 1e9 <= os.sched.now + 0.5) {
        os.console.line(kernelStamp(lines[i][0]) + lines[i][1]);
        i++;
      }
      if (i >= lines.length) {
        next();
        return;
      }
      os.after(Math.max(1, Math.ceil(os.bootAt + lines[i][0] * 1e9 - os.sched.now)), one);
    };
    one();
  };
}

/** S40-network: ifup eth0 → cirros-dhcpc up eth0 → udhcpc; "WARN: … failed" when no lease. */
function networkStep(os: GuestOs): Step {
  return (next) => {
    const modern = os.release.udhcpcStyle === '1.29';
    if (modern) os.console.write('Starting network: ');
    else os.console.line('Starting network...');
    const client = cirrosUdhcpc(os, {
      timeout: 60,
      retries: 3,
      exitOnFail: true,
      releaseOnExit: true,
      extraOptions: [26, 121],
      hostname: os.hostname,
      print: (line) => os.console.line(line),
      onForegroundExit: (code) => {
        if (modern) os.console.line(code === 0 ? 'OK' : 'FAIL');
        if (code !== 0) os.console.line('WARN: /etc/rc3.d/S40-network failed');
        os.after(30 * MS, next);
      },
    });
    client.start();
  };
}

function growrootLine(os: GuestOs): string {
  const sectors = Math.max(1, os.flavor.disk) * 2097152;
  if (!os.release.hasVda15) {
    // 0.3.x: one partition from sector 16065, grown to the last whole cylinder
    const end = Math.floor(sectors / 16065) * 16065;
    return `GROWROOT: CHANGED: partition=1 start=16065 old: size=64260 end=80325 new: size=${end - 16065},end=${end}`;
  }
  return `GROWROOT: CHANGED: partition=1 start=18432 old: size=71647 end=90079 new: size=${sectors - 18432 - 34},end=${sectors - 34}`;
}

/** Runs the whole boot; `opts.onLoginPrompt` fires when `<hostname> login: ` is printed. */
export function runBoot(os: GuestOs, opts: BootOptions): void {
  const init = new Shell(os, 'root');
  const klines = kernelLog({
    release: os.release,
    ramMb: os.flavor.ram,
    vcpus: os.flavor.vcpus,
    mhz: os.mhz,
  });
  const kernelTail = klines.slice(-10).map(([t, l]) => kernelStamp(t) + l);
  const steps: Step[] = [
    kernelStep(os, klines),
    pause(os, 40),
    (next) => {
      os.console.line('');
      os.console.line(`info: initramfs: up at ${os.uptimeText()}`);
      next();
    },
    (next) => {
      os.console.line(
        opts.firstBoot
          ? growrootLine(os)
          : 'GROWROOT: NOCHANGE: partition 1 could only be grown by 0 [fudge=2048]',
      );
      os.after(60 * MS, next);
    },
    say(os, ['info: initramfs loading root from /dev/vda1']),
    pause(os, 120),
    (next) => {
      os.console.line(`info: /etc/init.d/rc.sysinit: up at ${os.uptimeText()}`);
      os.console.line('info: container: none');
      next();
    },
    say(
      os,
      [
        'Starting logging: OK',
        'modprobe: module virtio_blk not found in modules.dep',
        'modprobe: module virtio_net not found in modules.dep',
        'WARN: /etc/rc3.d/S10-load-modules failed',
        'Initializing random number generator... done.',
        'Starting acpid: OK',
      ],
      12,
    ),
    dsLocalStep(os, opts.configDrive),
    networkStep(os),
    dsNetStep(os, opts.metadata),
    (next) => {
      os.console.write('Starting dropbear sshd: ');
      if (!opts.firstBoot) {
        os.console.line('OK');
        os.after(40 * MS, next);
        return;
      }
      os.console.write('generating rsa key... ');
      os.after(420 * MS, () => {
        os.console.write('generating dsa key... ');
        os.after(260 * MS, () => {
          os.console.line('OK');
          next();
        });
      });
    },
    pause(os, 60),
    (next) => {
      for (const l of statusBlock(os)) os.console.line(l);
      next();
    },
    gatewayCheckStep(os, init, kernelTail),
    say(os, CIRROS_LOGO, 1),
    pause(os, 150),
    (next) => {
      os.console.write(`\n\n${issueText(os.release)}\n${os.hostname} login: `);
      opts.onLoginPrompt();
      next();
    },
  ];
  runSteps(steps, () => {});
}
