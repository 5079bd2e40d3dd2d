// The external network as packstack's demo provisioning builds it on the network host: the
// operator's provider bridge br-ex (the Open vSwitch agent joins it to br-int by
// int-br-ex/phy-br-ex from `bridge_mappings = extnet:br-ex`) with the public subnet's gateway
// address 172.24.4.1/24 on its internal port in the root namespace, so the host itself reaches the
// routers' gateways and floating IPs, and guests reach 172.24.4.1 through SNAT. Idempotent: call it
// once per network host when the host is built (before or after the Open vSwitch agent starts).
import type { Host } from '../../kernel/host.js';
import type { Vswitchd } from '../../ovs/vswitchd.js';
import { ipToString } from '../../wire/ipv4-address.js';
import { setAddresses } from '../common/interface-driver.js';

export interface ExternalNetworkOptions {
  host: Host;
  vswitchd: Vswitchd;
  /** The provider bridge (packstack: br-ex). */
  bridge?: string;
  /** Address of the bridge's port (CONFIG_PROVISION_DEMO_FLOATRANGE's gateway). */
  cidr?: string;
}

export function setupExternalNetwork(opts: ExternalNetworkOptions): void {
  const bridge = opts.bridge ?? 'br-ex';
  const r = opts.vswitchd.vsctl(['--may-exist', 'add-br', bridge]);
  if (r.code !== 0) throw new Error(`ovs-vsctl add-br ${bridge}: ${r.stderr.trim()}`);
  const dev = opts.host.device(bridge);
  if (dev === undefined) throw new Error(`${bridge} has no internal port`);
  const cidr = opts.cidr ?? '172.24.4.1/24';
  const keep = dev.addresses.map((a) => `${ipToString(a.address)}/${a.prefixLen}`);
  setAddresses(dev, [cidr], keep);
  dev.setUp(true);
}
