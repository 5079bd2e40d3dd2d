// os-vif's ovs hybrid plug (vif_plug_ovs/ovs.py _plug_bridge / _unplug_bridge, linux_net.py) on an
// emulated host: per port a Linux bridge qbrXXXXXXXX-XX (ageing 0, forward delay 0, STP off,
// IPv6 off), a veth pair qvbXXXXXXXX-XX/qvoXXXXXXXX-XX (up, promiscuous, the network's MTU), qvb
// in the bridge and qvo on br-int with the Interface external_ids the Open vSwitch agent matches
// the port by. br-int is created when missing, as os-vif's ensure_ovs_bridge does. The tap is
// libvirt's (libvirt-driver.ts): it joins the qbr when the domain starts.
import type { ComputePort } from '../../bus/index.js';
import type { LinuxBridge } from '../../kernel/bridge.js';
import type { Host } from '../../kernel/host.js';
import type { Vswitchd } from '../../ovs/vswitchd.js';

/** The os-vif/Neutron device names of a port: prefix + the first 11 characters of its id. */
export function vifNames(portId: string) {
  const s = portId.slice(0, 11);
  return { tap: `tap${s}`, qbr: `qbr${s}`, qvb: `qvb${s}`, qvo: `qvo${s}` };
}

/** The MAC libvirt gives the host side of a guest NIC: the guest's with the first byte fe. */
export function tapMac(guestMac: string): string {
  return `fe${guestMac.slice(2)}`;
}

export const INTEGRATION_BRIDGE = 'br-int';

function vsctl(ovs: Vswitchd, argv: string[]): void {
  const r = ovs.vsctl(argv);
  if (r.code !== 0) throw new Error(`ovs-vsctl ${argv.join(' ')}: ${r.stderr.trim()}`);
}

/** Plugs one port (idempotent: what exists is kept, what is missing is made, as os-vif's plug). */
export function plugHybrid(host: Host, ovs: Vswitchd, port: ComputePort, instanceUuid: string): void {
  const n = vifNames(port.id);
  const root = host.root;
  let qbr = host.device(n.qbr) as LinuxBridge | undefined;
  if (qbr === undefined) {
    qbr = host.addBridge(n.qbr, { ageing: 0 });
    // linux_net.ensure_bridge: disable_ipv6, arp_ignore/arp_announce, then up
    root.setSysctl(`net.ipv6.conf.${n.qbr}.disable_ipv6`, '1');
    root.setSysctl(`net.ipv4.conf.${n.qbr}.arp_ignore`, '1');
    root.setSysctl(`net.ipv4.conf.${n.qbr}.arp_announce`, '2');
  }
  qbr.setMtu(port.mtu);
  qbr.setUp(true);
  if (host.device(n.qvb) === undefined) {
    const [qvb, qvo] = host.addVeth(n.qvb, n.qvo);
    for (const d of [qvb, qvo]) {
      d.setMtu(port.mtu);
      d.setPromisc(true);
      d.setUp(true);
    }
  }
  const qvb = host.device(n.qvb);
  if (qvb !== undefined && qvb.master === null) qbr.addPort(qvb);
  vsctl(ovs, [
    '--may-exist',
    'add-br',
    INTEGRATION_BRIDGE,
    '--',
    'set',
    'Bridge',
    INTEGRATION_BRIDGE,
    'datapath_type=system',
  ]);
  vsctl(ovs, [
    '--may-exist',
    'add-port',
    INTEGRATION_BRIDGE,
    n.qvo,
    '--',
    'set',
    'Interface',
    n.qvo,
    `external_ids:iface-id=${port.id}`,
    'external_ids:iface-status=active',
    `external_ids:attached-mac=${port.macAddress}`,
    `external_ids:vm-uuid=${instanceUuid}`,
  ]);
}

/** Unplugs one port: qvo off br-int, the veth pair and the bridge gone (nothing left if absent). */
export function unplugHybrid(host: Host, ovs: Vswitchd, portId: string): void {
  const n = vifNames(portId);
  vsctl(ovs, ['--if-exists', 'del-port', INTEGRATION_BRIDGE, n.qvo]);
  host.device(n.qvb)?.destroy();
  host.device(n.qvo)?.destroy();
  const qbr = host.device(n.qbr);
  if (qbr !== undefined) {
    qbr.setUp(false);
    qbr.destroy();
  }
}
