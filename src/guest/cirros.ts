// The CirrOS releases a guest can be, and the texts that differ between them. Sources:
// cirros-dev/cirros at tags 0.3.4 and 0.5.2 (src/etc/issue, src/usr/share/cirros/logo,
// src/sbin/cirros-dhcpc, src/lib/cirros/ds/ec2, src/sbin/cirros-status, conf/busybox.config) and
// busybox 1.20.1 / 1.29.3 udhcpc strings. Kernel banners are from real console logs of those
// images [unverified exact build strings].

export interface CirrosRelease {
  /** `cat /etc/cirros/version`, the status block's `current=`. */
  version: string;
  busybox: string;
  /** uname -r */
  kernel: string;
  /** The kernel's `Linux version …` banner tail after the release. */
  kernelBuild: string;
  /** uname -v */
  kernelVersion: string;
  password: string;
  /** udhcpc message style: busybox 1.20 ("Sending discover...") or 1.29 ("udhcpc: sending discover"). */
  udhcpcStyle: '1.20' | '1.29';
  /** lo's MTU: 16436 before Linux 3.3, 65536 after. */
  loMtu: number;
  /** busybox `ip route` prints `scope link` (1.29) or not (1.20); `ip addr` shows IPv4 lifetimes on kernels ≥ 3.9. */
  modernIp: boolean;
  /** cirros-status prints `ip-route6:` lines and `if-info` IPv6 with its prefix (0.4+). */
  statusV6Prefix: boolean;
  /** The root partition layout (0.5 images have a BIOS boot partition vda15). */
  hasVda15: boolean;
}

export const CIRROS_034: CirrosRelease = {
  version: '0.3.4',
  busybox: '1.20.1',
  kernel: '3.2.0-80-virtual',
  kernelBuild:
    '(buildd@batsu) (gcc version 4.6.3 (Ubuntu/Linaro 4.6.3-1ubuntu5) ) #116-Ubuntu SMP Mon Mar 23 17:28:52 UTC 2015 (Ubuntu 3.2.0-80.116-virtual 3.2.68)',
  kernelVersion: '#116-Ubuntu SMP Mon Mar 23 17:28:52 UTC 2015',
  password: 'cubswin:)',
  udhcpcStyle: '1.20',
  loMtu: 16436,
  modernIp: false,
  statusV6Prefix: false,
  hasVda15: false,
};

export const CIRROS_052: CirrosRelease = {
  version: '0.5.2',
  busybox: '1.29.3',
  kernel: '5.3.0-26-generic',
  kernelBuild:
    '(buildd@lgw01-amd64-039) (gcc version 7.4.0 (Ubuntu 7.4.0-1ubuntu1~18.04.1)) #28~18.04.1-Ubuntu SMP Wed Dec 18 16:40:14 UTC 2019 (Ubuntu 5.3.0-26.28~18.04.1-generic 5.3.13)',
  kernelVersion: '#28~18.04.1-Ubuntu SMP Wed Dec 18 16:40:14 UTC 2019',
  password: 'gocubsgo',
  udhcpcStyle: '1.29',
  loMtu: 65536,
  modernIp: true,
  statusV6Prefix: true,
  hasVda15: true,
};

/** The release an image name stands for: `cirros-0.5.x…` is 0.5, anything else the seed's 0.3.4. */
export function cirrosRelease(imageName: string | undefined): CirrosRelease {
  const m = /cirros-?(\d+)\.(\d+)\.(\d+)/i.exec(imageName ?? '');
  if (m !== null && Number(m[1]) === 0 && Number(m[2]) >= 4) {
    return m[2] === '5'
      ? { ...CIRROS_052, version: `0.5.${m[3]}` }
      : { ...CIRROS_052, version: `0.${m[2]}.${m[3]}` };
  }
  if (m !== null && m[1] === '0' && m[2] === '3') return { ...CIRROS_034, version: `0.3.${m[3]}` };
  return CIRROS_034;
}

/** /etc/issue, printed by getty before the login prompt. */
export function issueText(r: CirrosRelease): string {
  return `login as 'cirros' user. default password: '${r.password}'. use 'sudo' for root.`;
}

/** /usr/share/cirros/logo, printed by S99-logo (the trailing spaces of lines 3 and 4 are in the file). */
export const CIRROS_LOGO = [
  '  ____               ____  ____',
  ' / __/ __ ____ ____ / __ \\/ __/',
  '/ /__ / // __// __// /_/ /\\ \\ ',
  '\\___//_//_/  /_/   \\____/___/ ',
  '   http://cirros-cloud.net',
];

/** The SMBIOS strings Nova's libvirt driver gives a guest (what dmesg's DMI line and cirros-status show). */
export const DMI_PLATFORM = 'OpenStack Foundation OpenStack Nova';

/** /proc/meminfo MemTotal in kB for a flavor's RAM: the kernel keeps its image and page tables [approximation]. */
export function memTotalKb(ramMb: number): number {
  return ramMb * 1024 - 24 * 1024 - ramMb * 4;
}
