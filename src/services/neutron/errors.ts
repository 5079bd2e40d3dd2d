// Neutron's exceptions (neutron_lib.exceptions and friends): the class name is the API's
// `NeutronError.type`, the text is the template Neutron formats, the status follows the base
// class (NotFound 404, Conflict/InUse 409, BadRequest/InvalidInput 400, ServiceUnavailable 503).
import { type ErrorKind, ServiceError } from '../errors.js';

const make = (kind: ErrorKind, type: string, message: string, status?: number) =>
  new ServiceError(kind, message, type, status);

export const neutronErrors = {
  badRequest: (resource: string, msg: string) =>
    make('BadRequest', 'BadRequest', `Bad ${resource} request: ${msg}.`),
  invalidInput: (msg: string) => make('BadRequest', 'InvalidInput', `Invalid input for operation: ${msg}.`),
  /** An attribute's validator failed (api/v2/base.py's InvalidInput with the attribute). */
  invalidAttribute: (attr: string, reason: string) =>
    make('BadRequest', 'HTTPBadRequest', `Invalid input for ${attr}. Reason: ${reason}.`),
  httpBadRequest: (msg: string) => make('BadRequest', 'HTTPBadRequest', msg),
  httpNotFound: () => make('NotFound', 'HTTPNotFound', 'The resource could not be found.'),
  policyNotAuthorized: (rule: string) =>
    make('Forbidden', 'PolicyNotAuthorized', `${rule} is disallowed by policy`),
  networkNotFound: (id: string) => make('NotFound', 'NetworkNotFound', `Network ${id} could not be found.`),
  subnetNotFound: (id: string) => make('NotFound', 'SubnetNotFound', `Subnet ${id} could not be found.`),
  portNotFound: (id: string) => make('NotFound', 'PortNotFound', `Port ${id} could not be found.`),
  routerNotFound: (id: string) => make('NotFound', 'RouterNotFound', `Router ${id} could not be found`),
  floatingIpNotFound: (id: string) =>
    make('NotFound', 'FloatingIPNotFound', `Floating IP ${id} could not be found`),
  securityGroupNotFound: (id: string) =>
    make('NotFound', 'SecurityGroupNotFound', `Security group ${id} does not exist`),
  securityGroupRuleNotFound: (id: string) =>
    make('NotFound', 'SecurityGroupRuleNotFound', `Security group rule ${id} does not exist`),
  qosPolicyNotFound: (id: string) =>
    make('NotFound', 'QosPolicyNotFound', `QoS policy ${id} could not be found.`),
  qosRuleNotFound: (ruleId: string, policyId: string) =>
    make('NotFound', 'QosRuleNotFound', `QoS rule ${ruleId} for policy ${policyId} could not be found.`),
  agentNotFound: (id: string) => make('NotFound', 'AgentNotFound', `Agent ${id} could not be found.`),
  noNetworkAvailable: () =>
    make(
      'ServiceUnavailable',
      'NoNetworkAvailable',
      'Unable to create the network. No tenant network is available for allocation.',
    ),
  ipAddressGenerationFailure: (netId: string) =>
    make('Conflict', 'IpAddressGenerationFailure', `No more IP addresses available on network ${netId}.`),
  ipAddressAlreadyAllocated: (ip: string, subnetId: string) =>
    make('Conflict', 'IpAddressAlreadyAllocated', `IP address ${ip} already allocated in subnet ${subnetId}`),
  invalidIpForSubnet: (ip: string) =>
    make('BadRequest', 'InvalidIpForSubnet', `IP address ${ip} is not a valid IP for the specified subnet.`),
  invalidIpForNetwork: (ip: string) =>
    make(
      'BadRequest',
      'InvalidIpForNetwork',
      `IP address ${ip} is not a valid IP for any of the subnets on the specified network.`,
    ),
  macAddressInUse: (netId: string, mac: string) =>
    make(
      'Conflict',
      'MacAddressInUse',
      `Unable to complete operation for network ${netId}. The mac address ${mac} is in use.`,
    ),
  overQuota: (resources: string[]) =>
    make(
      'Conflict',
      'OverQuota',
      `Quota exceeded for resources: [${resources.map((r) => `'${r}'`).join(', ')}].`,
    ),
  networkInUse: (netId: string, portIds: string[]) =>
    make(
      'Conflict',
      'NetworkInUse',
      `Unable to complete operation on network ${netId}. There are one or more ports still in use on the network, id for these ports is: ${portIds.join(',')}.`,
    ),
  subnetInUse: (subnetId: string) =>
    make(
      'Conflict',
      'SubnetInUse',
      `Unable to complete operation on subnet ${subnetId}: One or more ports have an IP allocation from this subnet.`,
    ),
  portInUse: (portId: string, netId: string, deviceId: string) =>
    make(
      'Conflict',
      'PortInUse',
      `Unable to complete operation on port ${portId} for network ${netId}. Port already has an attached device ${deviceId}.`,
    ),
  routerInUse: (routerId: string, reason = 'still has ports') =>
    make('Conflict', 'RouterInUse', `Router ${routerId} ${reason}`),
  routerInterfaceNotFound: (routerId: string, portId: string) =>
    make(
      'NotFound',
      'RouterInterfaceNotFound',
      `Router ${routerId} does not have an interface with id ${portId}`,
    ),
  routerInterfaceNotFoundForSubnet: (routerId: string, subnetId: string) =>
    make(
      'NotFound',
      'RouterInterfaceNotFoundForSubnet',
      `Router ${routerId} has no interface on subnet ${subnetId}`,
    ),
  routerGatewayInUseByFloatingIp: (routerId: string, netId: string) =>
    make(
      'Conflict',
      'RouterExternalGatewayInUseByFloatingIp',
      `Gateway cannot be updated for router ${routerId}, since a gateway to external network ${netId} is required by one or more floating IPs.`,
    ),
  externalGatewayForFloatingIpNotFound: (extNetId: string, subnetId: string, portId: string) =>
    make(
      'NotFound',
      'ExternalGatewayForFloatingIPNotFound',
      `External network ${extNetId} is not reachable from subnet ${subnetId}.  Therefore, cannot associate Port ${portId} with a Floating IP.`,
    ),
  floatingIpPortAlreadyAssociated: (
    fip: string,
    fipId: string,
    portId: string,
    fixedIp: string,
    netId: string,
  ) =>
    make(
      'Conflict',
      'FloatingIPPortAlreadyAssociated',
      `Cannot associate floating IP ${fip} (${fipId}) with port ${portId} using fixed IP ${fixedIp}, as that fixed IP already has a floating IP on external network ${netId}.`,
    ),
  externalNetworkInUse: (netId: string) =>
    make(
      'Conflict',
      'ExternalNetworkInUse',
      `External network ${netId} cannot be updated to be made non-external, since it has existing gateway ports.`,
    ),
  securityGroupRuleExists: (ruleId: string) =>
    make('Conflict', 'SecurityGroupRuleExists', `Security group rule already exists. Rule id is ${ruleId}.`),
  securityGroupCannotRemoveDefault: () =>
    make(
      'Conflict',
      'SecurityGroupCannotRemoveDefault',
      'Insufficient rights for removing default security group.',
    ),
  securityGroupInUse: (id: string) => make('Conflict', 'SecurityGroupInUse', `Security Group ${id} in use.`),
  portSecurityAndIpRequiredForSecurityGroups: () =>
    make(
      'BadRequest',
      'PortSecurityAndIPRequiredForSecurityGroups',
      'Port security must be enabled and port must have an IP address in order to use security groups.',
    ),
  portSecurityPortHasSecurityGroup: () =>
    make(
      'Conflict',
      'PortSecurityPortHasSecurityGroup',
      'Port has security group associated. Cannot disable port security or ip address until security group is removed',
    ),
  addressPairAndPortSecurityRequired: () =>
    make(
      'Conflict',
      'AddressPairAndPortSecurityRequired',
      'Port Security must be enabled in order to have allowed address pairs on a port.',
    ),
  gatewayConflictWithAllocationPools: (ip: string, pool: string) =>
    make(
      'Conflict',
      'GatewayConflictWithAllocationPools',
      `Gateway ip ${ip} conflicts with allocation pool ${pool}`,
    ),
  l3PortInUse: (portId: string, owner: string) =>
    make(
      'Conflict',
      'L3PortInUse',
      `Port ${portId} has owner ${owner} and therefore cannot be deleted directly via the port API.`,
    ),
  portBound: (portId: string, vifType: string, oldMac: string, newMac: string) =>
    make(
      'Conflict',
      'PortBound',
      `Unable to complete operation on port ${portId}, port is already bound, port type: ${vifType}, old_mac ${oldMac}, new_mac ${newMac}.`,
    ),
  invalidRoutes: (message: string) => make('BadRequest', 'InvalidRoutes', message),
  routerInterfaceInUseByFloatingIp: (routerId: string, subnetId: string) =>
    make(
      'Conflict',
      'RouterInterfaceInUseByFloatingIP',
      `Router interface for subnet ${subnetId} on router ${routerId} cannot be deleted, as it is required by one or more floating IPs.`,
    ),
  qosPolicyInUse: (policyId: string, objectType: string, objectId: string) =>
    make('Conflict', 'QosPolicyInUse', `QoS Policy ${policyId} is used by ${objectType} ${objectId}.`),
  qosRulesConflict: (ruleType: string, ruleId: string, policyId: string) =>
    make(
      'Conflict',
      'QoSRulesConflict',
      `Rule ${ruleType} conflicts with rule ${ruleId} which already exists in QoS Policy ${policyId}.`,
    ),
  tagNotFound: (tag: string, id: string) =>
    make('NotFound', 'TagNotFound', `Tag ${tag} could not be found for resource ${id}.`),
  extensionNotFound: (alias: string) =>
    make('NotFound', 'HTTPNotFound', `Extension with alias ${alias} does not exist`),
  /** pecan_wsgi/hooks/ownership_validation.py: a port or subnet on another project's network. */
  notAllowedOnNetwork: (projectId: string, resource: string) =>
    make(
      'Forbidden',
      'HTTPForbidden',
      `Tenant ${projectId} not allowed to create ${resource} on this network`,
    ),
  ipInUse: (netId: string, ip: string) =>
    make(
      'Conflict',
      'IpAddressInUse',
      `Unable to complete operation for network ${netId}. The IP address ${ip} is in use.`,
    ),
};
