// The flat type driver (type_flat.py): provider networks only, one per physical network named in
// `[ml2_type_flat] flat_networks` (`*` allows any); MTU = global_physnet_mtu (or the physnet's).
import { ServiceError } from '../../errors.js';
import { neutronErrors as E } from '../errors.js';
import { minMtu, type TypeDriverFactory } from './type-driver.js';

export const flatTypeDriver: TypeDriverFactory = (config) => {
  const allowed = config.ml2.flatNetworks;
  const any = allowed.includes('*');
  return {
    type: 'flat',
    validateProviderSegment(req) {
      if (req.physical_network === null)
        throw E.invalidInput('physical_network required for flat provider network');
      if (!any && !allowed.includes(req.physical_network))
        throw E.invalidInput(`physical_network '${req.physical_network}' unknown for flat provider network`);
      if (req.segmentation_id !== null)
        throw E.invalidInput('segmentation_id not allowed for flat provider network');
    },
    reserveProviderSegment(repo, req) {
      const physnet = req.physical_network as string;
      if (repo.flatPhysnetUsed(physnet))
        throw new ServiceError(
          'Conflict',
          `Unable to create the flat network. Physical network ${physnet} is in use.`,
          'FlatNetworkInUse',
        );
      return { network_type: 'flat', physical_network: physnet, segmentation_id: null };
    },
    allocateTenantSegment() {
      // Flat networks are never tenant networks (ML2 logs "flat tenant networks are not supported").
      return null;
    },
    mtu(seg) {
      return minMtu(config.globalPhysnetMtu, config.ml2.physicalNetworkMtus[seg.physical_network ?? '']);
    },
  };
};
