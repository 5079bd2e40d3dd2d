// The seed's cirros-vm1 as nova-compute receives it (an m1.tiny from the CirrOS image, one port on
// vxlan10), for the tests and benchmarks that drive nova-compute without Nova in front of it.
import type { ComputeInstance, ComputePort } from '../../bus/index.js';

export const SAMPLE_PORT_ID = '6f8a1c2d-3e4f-4a5b-9c6d-7e8f9a0b1c2d';

export function sampleInstance(overrides: Partial<ComputeInstance> = {}): ComputeInstance {
  return {
    uuid: '0e3c1f9a-5b7d-4c2e-8f1a-2b3c4d5e6f70',
    instanceName: 'instance-00000001',
    displayName: 'cirros-vm1',
    hostname: 'cirros-vm1',
    projectId: '9f1c1a7e2b3d4c5e8f9a0b1c2d3e4f50',
    userId: '1a2b3c4d5e6f40718293a4b5c6d7e8f9',
    flavor: {
      id: '1',
      name: 'm1.tiny',
      ramMb: 512,
      vcpus: 1,
      rootGb: 1,
      ephemeralGb: 0,
      swapMb: 0,
      extraSpecs: {},
    },
    image: {
      id: 'c3d9f1e2-7a6b-4c5d-9e8f-0a1b2c3d4e5f',
      name: 'cirros-0.3.4-x86_64',
      diskFormat: 'qcow2',
      containerFormat: 'bare',
      size: 13287936,
      properties: {},
    },
    keyName: null,
    keyData: null,
    userData: null,
    metadata: {},
    availabilityZone: 'nova',
    ...overrides,
  };
}

/** A port on vxlan10 (VNI 10); `deviceName` follows `id` unless given. */
export function samplePort(overrides: Partial<ComputePort> = {}): ComputePort {
  const id = overrides.id ?? SAMPLE_PORT_ID;
  return {
    id,
    macAddress: 'fa:16:3e:2b:7c:11',
    networkId: '1a2b3c4d-5e6f-4071-8293-a4b5c6d7e8f9',
    networkName: 'vxlan10',
    mtu: 1450,
    networkType: 'vxlan',
    segmentationId: 10,
    physicalNetwork: null,
    fixedIps: [
      { subnetId: 'b1', ipAddress: '172.16.10.5', cidr: '172.16.10.0/24', gatewayIp: '172.16.10.1' },
    ],
    securityGroupIds: [],
    deviceName: `tap${id.slice(0, 11)}`,
    ...overrides,
  };
}
