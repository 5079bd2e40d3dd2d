// The type drivers pocketstack has, by network_type; `[ml2] type_drivers` picks among them.
import type { NeutronConfig } from '../config.js';
import type { TypeDriver, TypeDriverFactory } from './type-driver.js';
import { flatTypeDriver } from './type-flat.js';
import { vlanTypeDriver } from './type-vlan.js';
import { vxlanTypeDriver } from './type-vxlan.js';

const available: Record<string, TypeDriverFactory> = {
  vxlan: vxlanTypeDriver,
  flat: flatTypeDriver,
  vlan: vlanTypeDriver,
};

/** The drivers named in type_drivers (an unknown name stops the start, as ML2's does). */
export function loadTypeDrivers(config: NeutronConfig): Map<string, TypeDriver> {
  const drivers = new Map<string, TypeDriver>();
  for (const name of config.ml2.typeDrivers) {
    const f = available[name];
    if (!f)
      throw new Error(
        `ml2_conf.ini: type driver '${name}' is not available (have ${Object.keys(available).join(', ')})`,
      );
    drivers.set(name, f(config));
  }
  for (const t of config.ml2.tenantNetworkTypes)
    if (!drivers.has(t)) throw new Error(`ml2_conf.ini: tenant network type '${t}' is not in type_drivers`);
  return drivers;
}
