// The VXLAN type driver (neutron/plugins/ml2/drivers/type_vxlan.py): VNIs from
// `[ml2_type_vxlan] vni_ranges` for tenant networks, any valid VNI for an admin's provider
// network; MTU = min(global_physnet_mtu, path_mtu) − 50 (VXLAN 30 + outer IPv4 20).

import { ServiceError } from '../../errors.js';
import { neutronErrors as E } from '../errors.js';
import { minMtu, parseRanges, pickFree, type TypeDriverFactory } from './type-driver.js';

const MAX_VNI = 2 ** 24 - 1;
const VXLAN_ENCAP_OVERHEAD = 30;
const IP_HEADER = { 4: 20, 6: 40 } as const;

export const vxlanTypeDriver: TypeDriverFactory = (config) => {
  const ranges = parseRanges(config.ml2.vniRanges, 'vni');
  const overhead = VXLAN_ENCAP_OVERHEAD + IP_HEADER[4];
  return {
    type: 'vxlan',
    validateProviderSegment(req) {
      if (req.physical_network !== null)
        throw E.invalidInput('provider:physical_network specified for VXLAN network');
      if (req.segmentation_id !== null && (req.segmentation_id < 1 || req.segmentation_id > MAX_VNI))
        throw E.invalidInput(`segmentation_id out of range (1 through ${MAX_VNI})`);
    },
    reserveProviderSegment(repo, req) {
      if (req.segmentation_id === null) {
        const seg = this.allocateTenantSegment(repo);
        if (!seg) throw E.noNetworkAvailable();
        return seg;
      }
      if (repo.segmentationIdUsed('vxlan', null, req.segmentation_id))
        throw new ServiceError(
          'Conflict',
          `Unable to create the network. The tunnel ID ${req.segmentation_id} is in use.`,
          'TunnelIdInUse',
        );
      return { network_type: 'vxlan', physical_network: null, segmentation_id: req.segmentation_id };
    },
    allocateTenantSegment(repo) {
      const vni = pickFree(
        ranges,
        (n) => repo.segmentationIdUsed('vxlan', null, n),
        () => repo.usedSegmentationIds('vxlan', null),
      );
      return vni === null ? null : { network_type: 'vxlan', physical_network: null, segmentation_id: vni };
    },
    mtu() {
      const mtu = minMtu(config.globalPhysnetMtu, config.ml2.pathMtu);
      return mtu === 0 ? 0 : mtu - overhead;
    },
  };
};
