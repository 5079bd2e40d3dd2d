// /sbin/cirros-dhcpc as udhcpc's script (cirros 0.3.4's src/sbin/cirros-dhcpc, renew_bound()):
//   ifconfig $interface $ip broadcast $broadcast netmask $subnet mtu ${mtu:-1500}
//   route del default gw 0.0.0.0 dev $interface   (until "No such process")
//   route add default gw $router dev $interface    (for each router, option 3)
//   /etc/resolv.conf: "search $domain", "nameserver $dns" …
//   route add -net "$net" gw "$router"             (each pair of option 121: on Neutron it holds
//                                                   0.0.0.0/0 again, hence the classic
//                                                   "route: SIOCADDRT: File exists" + WARN pair)
// `deconfig` is `ifconfig $interface 0.0.0.0`; `leasefail`/`nak` fall to the script's usage line.

import type { NetDevice } from '../kernel/device.js';
import { ipToString } from '../wire/ipv4-address.js';
import { type Lease, type ScriptEvent, Udhcpc, type UdhcpcOptions } from './dhcp-client.js';
import { addRoute, delRoute, setIfAddress, setIfBroadcast, setIfNetmask } from './netconfig.js';
import type { GuestOs } from './os.js';

/** cirros-dhcpc's MTU when the server sends none (/etc/default/udhcpc MTU=1500). */
const DEFAULT_MTU = 1500;

export function cirrosDhcpcScript(
  os: GuestOs,
  dev: NetDevice,
  print: (line: string) => void,
): (event: ScriptEvent, lease: Lease | null) => void {
  return (event, lease) => {
    if (event === 'deconfig') {
      setIfAddress(os.ns, dev, 0);
      return;
    }
    if ((event !== 'bound' && event !== 'renew') || lease === null) {
      print('Usage: /sbin/cirros-dhcpc <up|down>');
      return;
    }
    setIfAddress(os.ns, dev, lease.ip);
    if (lease.broadcast !== undefined) setIfBroadcast(dev, lease.broadcast);
    if (lease.subnet !== undefined) setIfNetmask(os.ns, dev, lease.subnet);
    const mtu = lease.mtu ?? DEFAULT_MTU;
    if (mtu >= 68 && mtu <= 65535) dev.setMtu(mtu);
    if (lease.router.length > 0) {
      while (delRoute(os.ns, { dst: 0, prefixLen: 0, gw: 0, dev, metric: 0 }) === null) {}
      for (const r of lease.router) {
        const err = addRoute(os.ns, { dst: 0, prefixLen: 0, gw: r, dev, metric: 0 });
        if (err !== null) print(`route: SIOCADDRT: ${err}`);
      }
    }
    let resolv = '';
    if (lease.domain) resolv += `search ${lease.domain}\n`;
    for (const d of lease.dns) resolv += `nameserver ${ipToString(d)}\n`;
    os.files.set('/etc/resolv.conf', resolv);
    for (const sr of lease.staticroutes) {
      const net = `${ipToString(sr.network)}/${sr.prefixLen}`;
      const err = addRoute(os.ns, {
        dst: sr.network,
        prefixLen: sr.prefixLen,
        gw: sr.gateway,
        dev: null,
        metric: 0,
      });
      if (err !== null) {
        print(`route: SIOCADDRT: ${err}`);
        print(`WARN: failed: route add -net "${net}" gw "${ipToString(sr.gateway)}"`);
      }
    }
  };
}

/**
 * A udhcpc on eth0 with cirros-dhcpc as its script. The boot's S40-network passes CirrOS's
 * arguments (-T 60 -n -R -O mtu -O staticroutes -x hostname:…); the `udhcpc` applet busybox's
 * defaults. (On a real CirrOS the applet's default script is a stub that only warns; the emulated
 * one applies the lease like cirros-dhcpc, which is what someone re-running DHCP wants.)
 */
export function cirrosUdhcpc(
  os: GuestOs,
  o: Partial<Omit<UdhcpcOptions, 'os' | 'script' | 'print'>> & { print: (line: string) => void },
): Udhcpc {
  const dev = o.dev ?? os.eth0;
  const client = new Udhcpc({
    os,
    dev,
    timeout: o.timeout ?? 3,
    retries: o.retries ?? 3,
    tryagain: o.tryagain ?? 20,
    exitOnFail: o.exitOnFail ?? false,
    quitOnLease: o.quitOnLease ?? false,
    releaseOnExit: o.releaseOnExit ?? false,
    extraOptions: o.extraOptions ?? [],
    hostname: o.hostname,
    print: (line) => o.print(line),
    script: cirrosDhcpcScript(os, dev, (line) => o.print(line)),
    onForegroundExit: o.onForegroundExit ?? (() => {}),
  });
  // one daemon per interface (its pid file is /var/run/udhcpc.<iface>.pid): a new one replaces it
  os.dhcp.get(dev.name)?.kill();
  os.dhcp.set(dev.name, client);
  return client;
}
