// The kernel part of a CirrOS console log: timestamped boot messages of the Ubuntu kernel the
// image ships, shaped by the flavor (RAM map, CPU count) and the virtio devices libvirt gives the
// domain. The general shape follows real console logs of CirrOS on KVM; individual lines are a
// representative subset, not a capture [unverified line by line].

import { type CirrosRelease, DMI_PLATFORM, memTotalKb } from './cirros.js';

export interface KernelLogInput {
  release: CirrosRelease;
  ramMb: number;
  vcpus: number;
  /** CPU clock the guest sees, e.g. 2194.916. */
  mhz: number;
}

const hex16 = (n: number): string => n.toString(16).padStart(16, '0');

/** [seconds since power-on, text] pairs, in order. */
export function kernelLog(k: KernelLogInput): [number, string][] {
  const r = k.release;
  const ramEnd = k.ramMb * 1024 * 1024 - 0x2000;
  const pages = Math.floor(ramEnd / 4096);
  const memKb = memTotalKb(k.ramMb);
  const bogo = (k.mhz * 2).toFixed(2);
  const cpus = k.vcpus;
  const l: [number, string][] = [
    [0, 'Initializing cgroup subsys cpuset'],
    [0, 'Initializing cgroup subsys cpu'],
    [0, `Linux version ${r.kernel} ${r.kernelBuild}`],
    [0, 'Command line: LABEL=cirros-rootfs ro console=tty1 console=ttyS0'],
    [0, 'KERNEL supported cpus:'],
    [0, '  Intel GenuineIntel'],
    [0, '  AMD AuthenticAMD'],
    [0, '  Centaur CentaurHauls'],
    [0, 'BIOS-provided physical RAM map:'],
    [0, ` BIOS-e820: ${hex16(0)} - ${hex16(0x9fc00)} (usable)`],
    [0, ` BIOS-e820: ${hex16(0x9fc00)} - ${hex16(0xa0000)} (reserved)`],
    [0, ` BIOS-e820: ${hex16(0xf0000)} - ${hex16(0x100000)} (reserved)`],
    [0, ` BIOS-e820: ${hex16(0x100000)} - ${hex16(ramEnd)} (usable)`],
    [0, ` BIOS-e820: ${hex16(ramEnd)} - ${hex16(k.ramMb * 1024 * 1024)} (reserved)`],
    [0, ` BIOS-e820: ${hex16(0xfffc0000)} - ${hex16(0x100000000)} (reserved)`],
    [0, 'NX (Execute Disable) protection: active'],
    [0, `DMI: ${DMI_PLATFORM}, BIOS 1.16.0-3.el9 04/01/2014`],
    [0, `last_pfn = 0x${pages.toString(16)} max_arch_pfn = 0x400000000`],
    [0, 'Using ACPI (MADT) for SMP configuration information'],
    [0, `SMP: Allowing ${cpus} CPUs, 0 hotplug CPUs`],
    [0, 'Booting paravirtualized kernel on KVM'],
    [0, `Built 1 zonelists in Node order, mobility grouping on.  Total pages: ${pages - 2000}`],
    [0, 'Kernel command line: LABEL=cirros-rootfs ro console=tty1 console=ttyS0'],
    [
      0,
      `Memory: ${memKb}k/${k.ramMb * 1024 - 8}k available (6576k kernel code, 452k absent, ${
        k.ramMb * 1024 - 8 - memKb - 452
      }k reserved, 6620k data, 928k init)`,
    ],
    [0, 'Hierarchical RCU implementation.'],
    [0, 'console [tty1] enabled'],
    [0, 'console [ttyS0] enabled'],
    [0, `Detected ${k.mhz.toFixed(3)} MHz processor.`],
    [
      0.008,
      `Calibrating delay loop (skipped) preset value.. ${bogo} BogoMIPS (lpj=${Math.round(k.mhz * 4000)})`,
    ],
    [0.008, 'pid_max: default: 32768 minimum: 301'],
    [0.012, 'Security Framework initialized'],
    [0.012, 'AppArmor: AppArmor initialized'],
    [0.02, 'Mount-cache hash table entries: 256'],
    [0.036, 'Initializing cgroup subsys memory'],
    [0.112, 'Performance Events: unsupported p6 CPU model 6 no PMU driver, software events only.'],
    [0.164, `Brought up ${cpus} CPU${cpus === 1 ? '' : 's'}`],
    [0.164, `Total of ${cpus} processors activated (${(Number(bogo) * cpus).toFixed(2)} BogoMIPS).`],
    [0.184, 'devtmpfs: initialized'],
    [0.216, 'NET: Registered protocol family 16'],
    [0.232, 'ACPI: bus type pci registered'],
    [0.296, 'ACPI: Interpreter enabled'],
    [0.396, 'NET: Registered protocol family 2'],
    [0.412, 'Trying to unpack rootfs image as initramfs...'],
    [0.516, 'virtio-pci 0000:00:03.0: PCI INT A -> Link[LNKC] -> GSI 11 (level, high) -> IRQ 11'],
    [0.52, 'virtio-pci 0000:00:04.0: PCI INT A -> Link[LNKD] -> GSI 11 (level, high) -> IRQ 11'],
    [0.548, 'Serial: 8250/16550 driver, 32 ports, IRQ sharing enabled'],
    [0.572, 'serial8250: ttyS0 at I/O 0x3f8 (irq = 4) is a 16550A'],
    [0.604, r.hasVda15 ? ' vda: vda1 vda15' : ' vda: vda1'],
    [0.652, 'input: AT Translated Set 2 keyboard as /devices/platform/i8042/serio0/input/input1'],
    [0.708, 'NET: Registered protocol family 10'],
    [0.712, 'NET: Registered protocol family 17'],
    [0.764, `rtc_cmos 00:01: setting system clock`],
    [0.824, 'Freeing unused kernel memory: 928k freed'],
    [0.832, 'Write protecting the kernel read-only data: 12288k'],
  ];
  return l;
}

/** `[    0.000000] ` — the kernel's printk timestamp prefix. */
export function kernelStamp(seconds: number): string {
  return `[${seconds.toFixed(6).padStart(12)}] `;
}
