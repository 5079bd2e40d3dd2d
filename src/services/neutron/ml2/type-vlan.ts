// The VLAN type driver (type_vlan.py): `[ml2_type_vlan] network_vlan_ranges = physnet[:min:max]`;
// tenant networks take a free VLAN of a physnet that has a range; providers any VLAN 1..4094 of a
// known physnet. MTU = global_physnet_mtu (or the physnet's).
import { ServiceError } from '../../errors.js';
import { neutronErrors as E } from '../errors.js';
import { minMtu, pickFree, type TypeDriverFactory } from './type-driver.js';

export const vlanTypeDriver: TypeDriverFactory = (config) => {
  const physnets = new Map<string, [number, number][]>();
  for (const item of config.ml2.vlanRanges) {
    const [net, lo, hi] = item.split(':').map((s) => s.trim());
    const ranges = physnets.get(net) ?? [];
    if (lo !== undefined && hi !== undefined) ranges.push([Number(lo), Number(hi)]);
    physnets.set(net, ranges);
  }
  return {
    type: 'vlan',
    validateProviderSegment(req) {
      if (req.physical_network === null) throw E.invalidInput('provider:physical_network required');
      if (!physnets.has(req.physical_network))
        throw E.invalidInput(`physical_network '${req.physical_network}' unknown for VLAN provider network`);
      if (req.segmentation_id !== null && (req.segmentation_id < 1 || req.segmentation_id > 4094))
        throw E.invalidInput('segmentation_id out of range (1 through 4094)');
    },
    reserveProviderSegment(repo, req) {
      const physnet = req.physical_network as string;
      let vlan = req.segmentation_id;
      if (vlan === null) {
        vlan = pickFree(
          physnets.get(physnet) ?? [],
          (n) => repo.segmentationIdUsed('vlan', physnet, n),
          () => repo.usedSegmentationIds('vlan', physnet),
        );
        if (vlan === null) throw E.noNetworkAvailable();
      } else if (repo.segmentationIdUsed('vlan', physnet, vlan))
        throw new ServiceError(
          'Conflict',
          `Unable to create the network. The VLAN ${vlan} on physical network ${physnet} is in use.`,
          'VlanIdInUse',
        );
      return { network_type: 'vlan', physical_network: physnet, segmentation_id: vlan };
    },
    allocateTenantSegment(repo) {
      for (const [physnet, ranges] of physnets) {
        const vlan = pickFree(
          ranges,
          (n) => repo.segmentationIdUsed('vlan', physnet, n),
          () => repo.usedSegmentationIds('vlan', physnet),
        );
        if (vlan !== null) return { network_type: 'vlan', physical_network: physnet, segmentation_id: vlan };
      }
      return null;
    },
    mtu(seg) {
      return minMtu(config.globalPhysnetMtu, config.ml2.physicalNetworkMtus[seg.physical_network ?? '']);
    },
  };
};
