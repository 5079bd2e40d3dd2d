// The extensions pocketstack implements, as `GET /v2.0/extensions` lists them: the entries are
// copied from a real Zed neutron-server (reference/real-neutron/ext.json; qos from neutron's
// extensions/qos*.py), restricted to what is implemented here. The clients probe these aliases
// (and the `name` "Availability Zone") to decide what to send.

export interface Extension {
  name: string;
  alias: string;
  description: string;
  updated: string;
  links: never[];
}

export const EXTENSIONS: readonly Extension[] = [
  {
    name: 'agent',
    alias: 'agent',
    description: 'The agent management extension.',
    updated: '2013-02-03T10:00:00-00:00',
    links: [],
  },
  {
    name: 'Allowed Address Pairs',
    alias: 'allowed-address-pairs',
    description: 'Provides allowed address pairs',
    updated: '2013-07-23T10:00:00-00:00',
    links: [],
  },
  {
    name: 'Availability Zone',
    alias: 'availability_zone',
    description: 'The availability zone extension.',
    updated: '2015-01-01T10:00:00-00:00',
    links: [],
  },
  {
    name: 'Network Availability Zone',
    alias: 'network_availability_zone',
    description: 'Availability zone support for network.',
    updated: '2015-01-01T10:00:00-00:00',
    links: [],
  },
  {
    name: 'Router Availability Zone',
    alias: 'router_availability_zone',
    description: 'Availability zone support for router.',
    updated: '2015-01-01T10:00:00-00:00',
    links: [],
  },
  {
    name: 'Port Binding',
    alias: 'binding',
    description: 'Expose port bindings of a virtual port to external application',
    updated: '2014-02-03T10:00:00-00:00',
    links: [],
  },
  {
    name: 'Distributed Virtual Router',
    alias: 'dvr',
    description: 'Enables configuration of Distributed Virtual Routers.',
    updated: '2014-06-1T10:00:00-00:00',
    links: [],
  },
  {
    name: 'HA Router extension',
    alias: 'l3-ha',
    description: 'Adds HA capability to routers.',
    updated: '2014-04-26T00:00:00-00:00',
    links: [],
  },
  {
    name: 'Neutron external network',
    alias: 'external-net',
    description: 'Adds external network attribute to network resource.',
    updated: '2013-01-14T10:00:00-00:00',
    links: [],
  },
  {
    name: 'Neutron Extra DHCP options',
    alias: 'extra_dhcp_opt',
    description:
      'Extra options configuration for DHCP. For example PXE boot options to DHCP clients can be specified (e.g. tftp-server, server-ip-address, bootfile-name)',
    updated: '2013-03-17T12:00:00-00:00',
    links: [],
  },
  {
    name: 'Neutron Extra Route',
    alias: 'extraroute',
    description: 'Extra routes configuration for L3 router',
    updated: '2013-02-01T10:00:00-00:00',
    links: [],
  },
  {
    name: 'Atomically add/remove extra routes',
    alias: 'extraroute-atomic',
    description: 'Edit extra routes of a router on server side by atomically adding/removing extra routes',
    updated: '2019-07-10T00:00:00+00:00',
    links: [],
  },
  {
    name: 'Floating IP Port Details Extension',
    alias: 'fip-port-details',
    description: 'Add port_details attribute to Floating IP resource',
    updated: '2018-04-09T10:00:00-00:00',
    links: [],
  },
  {
    name: 'Neutron L3 Router',
    alias: 'router',
    description:
      'Router abstraction for basic L3 forwarding between L2 Neutron networks and access to external networks via a NAT gateway.',
    updated: '2012-07-20T10:00:00-00:00',
    links: [],
  },
  {
    name: 'Neutron L3 Configurable external gateway mode',
    alias: 'ext-gw-mode',
    description:
      'Extension of the router abstraction for specifying whether SNAT should occur on the external gateway',
    updated: '2013-03-28T10:00:00-00:00',
    links: [],
  },
  {
    name: 'Router Flavor Extension',
    alias: 'l3-flavors',
    description: 'Flavor support for routers.',
    updated: '2016-05-17T00:00:00-00:00',
    links: [],
  },
  {
    name: 'Network MTU',
    alias: 'net-mtu',
    description: 'Provides MTU attribute for a network resource.',
    updated: '2015-03-25T10:00:00-00:00',
    links: [],
  },
  {
    name: 'Network MTU (writable)',
    alias: 'net-mtu-writable',
    description: 'Provides a writable MTU attribute for a network resource.',
    updated: '2017-07-12T00:00:00-00:00',
    links: [],
  },
  {
    name: 'Network IP Availability',
    alias: 'network-ip-availability',
    description: 'Provides IP availability data for each network and subnet.',
    updated: '2015-09-24T00:00:00-00:00',
    links: [],
  },
  {
    name: 'Pagination support',
    alias: 'pagination',
    description: 'Extension that indicates that pagination is enabled.',
    updated: '2016-06-12T00:00:00-00:00',
    links: [],
  },
  {
    name: 'Port Security',
    alias: 'port-security',
    description: 'Provides port security',
    updated: '2012-07-23T10:00:00-00:00',
    links: [],
  },
  {
    name: 'project_id field enabled',
    alias: 'project-id',
    description: 'Extension that indicates that project_id field is enabled.',
    updated: '2016-09-09T09:09:09-09:09',
    links: [],
  },
  {
    name: 'Provider Network',
    alias: 'provider',
    description: 'Expose mapping of virtual networks to physical networks',
    updated: '2012-09-07T10:00:00-00:00',
    links: [],
  },
  {
    name: 'Quota management support',
    alias: 'quotas',
    description: 'Expose functions for quotas management per project',
    updated: '2012-07-29T10:00:00-00:00',
    links: [],
  },
  {
    name: 'Quota details management support',
    alias: 'quota_details',
    description: 'Expose functions for quotas usage statistics per project',
    updated: '2017-02-10T10:00:00-00:00',
    links: [],
  },
  {
    name: 'security-group',
    alias: 'security-group',
    description: 'The security groups extension.',
    updated: '2012-10-05T10:00:00-00:00',
    links: [],
  },
  {
    name: 'Sorting support',
    alias: 'sorting',
    description: 'Extension that indicates that sorting is enabled.',
    updated: '2016-06-12T00:00:00-00:00',
    links: [],
  },
  {
    name: 'standard-attr-description',
    alias: 'standard-attr-description',
    description: 'Extension to add descriptions to standard attributes',
    updated: '2016-02-10T10:00:00-00:00',
    links: [],
  },
  {
    name: 'If-Match constraints based on revision_number',
    alias: 'revision-if-match',
    description: 'Extension indicating that If-Match based on revision_number is supported.',
    updated: '2016-12-11T00:00:00-00:00',
    links: [],
  },
  {
    name: 'Resource revision numbers',
    alias: 'standard-attr-revisions',
    description: 'This extension will display the revision number of neutron resources.',
    updated: '2016-04-11T10:00:00-00:00',
    links: [],
  },
  {
    name: 'Resource timestamps',
    alias: 'standard-attr-timestamp',
    description:
      'Adds created_at and updated_at fields to all Neutron resources that have Neutron standard attributes.',
    updated: '2016-09-12T10:00:00-00:00',
    links: [],
  },
  {
    name: 'Tag support for resources with standard attribute: port, subnet, subnetpool, network, security_group, router, floatingip, policy, trunk, network_segment_range',
    alias: 'standard-attr-tag',
    description: 'Enables to set tag on resources with standard attribute.',
    updated: '2017-01-01T00:00:00-00:00',
    links: [],
  },
  {
    name: 'Normalized CIDR field for security group rules',
    alias: 'security-groups-normalized-cidr',
    description: 'Add new field with normalized remote_ip_prefix cidr in SG rule',
    updated: '2020-07-28T10:00:00-00:00',
    links: [],
  },
  {
    name: 'Remote address group id field for security group rules',
    alias: 'security-groups-remote-address-group',
    description: 'Add new field of remote address group id in SG rules',
    updated: '2020-08-25T10:00:00-00:00',
    links: [],
  },
  {
    name: 'Security group filtering on the shared field',
    alias: 'security-groups-shared-filtering',
    description: 'Support filtering security groups on the shared field',
    updated: '2021-10-05T09:00:00-00:00',
    links: [],
  },
  {
    name: 'Stateful security group',
    alias: 'stateful-security-group',
    description: 'Indicates if the security group is stateful or not',
    updated: '2019-11-26T09:00:00-00:00',
    links: [],
  },
  {
    name: 'Subnet service types',
    alias: 'subnet-service-types',
    description: 'Provides ability to set the subnet service_types field',
    updated: '2016-03-15T18:00:00-00:00',
    links: [],
  },
  {
    name: 'Filter parameters validation',
    alias: 'filter-validation',
    description: 'Provides validation on filter parameters.',
    updated: '2018-07-04T10:00:00-00:00',
    links: [],
  },
  {
    name: 'Port filtering on security groups',
    alias: 'port-security-groups-filtering',
    description: 'Provides security groups filtering when listing ports',
    updated: '2018-01-09T09:00:00-00:00',
    links: [],
  },
];

/** Extensions that exist only with an ML2 extension driver or option. */
export const QOS_EXTENSIONS: readonly Extension[] = [
  {
    name: 'Quality of Service',
    alias: 'qos',
    description: 'The Quality of Service extension.',
    updated: '2015-06-08T10:00:00-00:00',
    links: [],
  },
  {
    name: 'Direction for QoS bandwidth limit rule',
    alias: 'qos-bw-limit-direction',
    description: 'Allow to configure QoS bandwidth limit rule with specific direction: ingress or egress',
    updated: '2017-08-04T10:00:00-00:00',
    links: [],
  },
  {
    name: 'Floating IP QoS',
    alias: 'qos-fip',
    description: 'The floating IP Quality of Service extension',
    updated: '2017-07-20T00:00:00-00:00',
    links: [],
  },
];
