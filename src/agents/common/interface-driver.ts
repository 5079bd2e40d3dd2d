// Neutron's OVSInterfaceDriver (neutron/agent/linux/interface.py, ovs_use_veth=False) and the
// bits of ip_lib the DHCP and L3 agents use with it. A port is plugged as the real driver does it:
//   ovs-vsctl --if-exists del-port NAME                              (ovs_lib.replace_port)
//   ovs-vsctl add-port br-int NAME -- set Port NAME tag=4095 vlan_mode=trunk trunks=4095
//             -- set Interface NAME type=internal external_ids:iface-id=PORT
//                external_ids:iface-status=active external_ids:attached-mac=MAC
//   ip link set NAME address MAC; ip link set NAME netns NS; ip link set NAME mtu M; ip link set NAME up
// The port sits on the dead VLAN 4095 until the Open vSwitch agent, which finds it by its
// iface-id, tags it with the network's local VLAN (and clears vlan_mode/trunks).
import type { NetDevice } from '../../kernel/device.js';
import type { Host } from '../../kernel/host.js';
import type { Namespace } from '../../kernel/netns.js';
import type { Vswitchd } from '../../ovs/vswitchd.js';
import { ipToString, parseCidr } from '../../wire/ipv4-address.js';
import { mac as parseMacText } from '../../wire/mac.js';

/** Neutron's LINUX_DEV_LEN: prefix + port id, cut to 14 characters (`qr-4e5f6a7b-8c`). */
export function portDeviceName(prefix: string, portId: string): string {
  return (prefix + portId).slice(0, 14);
}

/** DEAD_VLAN_TAG: where a fresh port waits for the Open vSwitch agent. */
export const DEAD_VLAN_TAG = 4095;

export interface PlugSpec {
  portId: string;
  /** Device name (tap…, qr-…, qg-…). */
  name: string;
  mac: string;
  netns: Namespace;
  mtu?: number;
}

export class OvsInterfaceDriver {
  constructor(
    readonly host: Host,
    readonly vswitchd: Vswitchd,
    readonly bridge = 'br-int',
  ) {}

  private vsctl(argv: string[]): void {
    const r = this.vswitchd.vsctl(argv);
    if (r.code !== 0) throw new Error(`ovs-vsctl ${argv.join(' ')}: ${r.stderr.trim()}`);
  }

  /** LinuxInterfaceDriver.plug: plug_new when the device is not in the namespace yet, else set the MTU. */
  plug(spec: PlugSpec): NetDevice {
    const existing = spec.netns.dev(spec.name);
    if (existing !== undefined) {
      if (spec.mtu && existing.mtu !== spec.mtu) existing.setMtu(spec.mtu);
      return existing;
    }
    // replace_port: a stale OVS port of that name goes first (one transaction here; Neutron uses
    // two because of an ovsdbapp bug the emulation does not have).
    const stale = this.vswitchd.ops.findPort(spec.name) ? ['--if-exists', 'del-port', spec.name, '--'] : [];
    this.vsctl([
      ...stale,
      'add-port',
      this.bridge,
      spec.name,
      '--',
      'set',
      'Port',
      spec.name,
      `tag=${DEAD_VLAN_TAG}`,
      'vlan_mode=trunk',
      `trunks=${DEAD_VLAN_TAG}`,
      '--',
      'set',
      'Interface',
      spec.name,
      'type=internal',
      `external_ids:iface-id=${spec.portId}`,
      'external_ids:iface-status=active',
      `external_ids:attached-mac=${spec.mac}`,
    ]);
    const dev = this.host.device(spec.name);
    if (dev === undefined) throw new Error(`ovs-vswitchd did not create ${spec.name}`);
    dev.setMac(parseMacText(spec.mac));
    dev.moveTo(spec.netns);
    // Neutron sets the MTU after the move (interface.py: OVS refuses an MTU above the bridge's
    // smallest while the port is still in the root namespace).
    if (spec.mtu) dev.setMtu(spec.mtu);
    dev.setUp(true);
    return dev;
  }

  /** OVSInterfaceDriver.unplug: the OVS port goes, and OVS deletes the internal device wherever it is. */
  unplug(name: string, netns?: Namespace): void {
    this.vsctl(['--if-exists', 'del-port', this.bridge, name]);
    // A device left behind (not an OVS port any more) is deleted as ip_lib would.
    netns?.dev(name)?.destroy();
  }
}

/**
 * ip_lib's init_l3 / init_router_port: the device ends up with exactly `cidrs` (plus `preserve`),
 * added addresses in order, stale ones removed. Returns the addresses newly added.
 */
export function setAddresses(dev: NetDevice, cidrs: string[], preserve: string[] = []): string[] {
  const ns = dev.netns;
  const want = new Set(cidrs.map(normalizeCidr));
  const keep = new Set([...want, ...preserve.map(normalizeCidr)]);
  for (const a of [...dev.addresses]) {
    const text = `${ipToString(a.address)}/${a.prefixLen}`;
    if (!keep.has(text)) ns.removeAddress(dev, text);
  }
  const added: string[] = [];
  for (const c of want) {
    const p = parseCidr(c)!;
    if (dev.addresses.some((a) => a.address === p.address && a.prefixLen === p.prefixLen)) continue;
    ns.addAddress(dev, c);
    added.push(c);
  }
  return added;
}

function normalizeCidr(c: string): string {
  const p = parseCidr(c);
  if (p === null) throw new Error(`invalid address ${c}`);
  return `${ipToString(p.address)}/${p.prefixLen}`;
}

/** `ip netns add` unless it exists, with lo up (Neutron's ip_lib ensure_namespace). */
export function ensureNamespace(host: Host, name: string): Namespace {
  return host.namespaces.get(name) ?? host.addNamespace(name);
}
