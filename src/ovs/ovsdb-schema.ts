// The Open_vSwitch database schema (vswitchd/vswitch.ovsschema of OVS 2.17, version 8.3.0),
// for the tables ovs-vsctl and Neutron's agent touch. Column types are written compactly:
//   'string' | 'integer' | 'boolean'        exactly one value
//   '?'-suffix                               optional (0 or 1 value)
//   '*'-suffix                               a set (0..n values)
//   'map' (string->string), 'imap' (string->integer), 'umap:Table' (string->uuid)
//   'ref?:Table' / 'ref*:Table'              reference(s) to rows of Table
// An `enum` restricts string values (fail_mode, protocols …).

export interface ColumnType {
  key: 'string' | 'integer' | 'boolean' | 'uuid';
  value?: 'string' | 'integer' | 'uuid';
  min: number;
  max: number;
  ref?: string;
  enum?: readonly string[];
}

export type TableSchema = Record<string, ColumnType>;

function col(spec: string, enumValues?: readonly string[]): ColumnType {
  let s = spec;
  let ref: string | undefined;
  const colon = s.indexOf(':');
  if (colon >= 0) {
    ref = s.slice(colon + 1);
    s = s.slice(0, colon);
  }
  if (s === 'map') return { key: 'string', value: 'string', min: 0, max: Number.POSITIVE_INFINITY };
  if (s === 'imap') return { key: 'string', value: 'integer', min: 0, max: Number.POSITIVE_INFINITY };
  if (s === 'umap') return { key: 'string', value: 'uuid', min: 0, max: Number.POSITIVE_INFINITY, ref };
  const suffix = s.endsWith('?') || s.endsWith('*') ? s[s.length - 1] : '';
  const base = suffix ? s.slice(0, -1) : s;
  const key = base === 'ref' ? 'uuid' : (base as ColumnType['key']);
  const t: ColumnType = {
    key,
    min: suffix ? 0 : 1,
    max: suffix === '*' ? Number.POSITIVE_INFINITY : 1,
  };
  if (ref) t.ref = ref;
  if (enumValues) t.enum = enumValues;
  return t;
}

const OF_VERSIONS = ['OpenFlow10', 'OpenFlow11', 'OpenFlow12', 'OpenFlow13', 'OpenFlow14', 'OpenFlow15'];

export const SCHEMA: Record<string, TableSchema> = {
  Open_vSwitch: {
    bridges: col('ref*:Bridge'),
    cur_cfg: col('integer'),
    datapath_types: col('string*'),
    datapaths: col('umap:Datapath'),
    db_version: col('string?'),
    dpdk_initialized: col('boolean'),
    dpdk_version: col('string?'),
    external_ids: col('map'),
    iface_types: col('string*'),
    manager_options: col('ref*:Manager'),
    next_cfg: col('integer'),
    other_config: col('map'),
    ovs_version: col('string?'),
    ssl: col('ref?:SSL'),
    statistics: col('map'),
    system_type: col('string?'),
    system_version: col('string?'),
  },
  Bridge: {
    auto_attach: col('ref?:AutoAttach'),
    controller: col('ref*:Controller'),
    datapath_id: col('string?'),
    datapath_type: col('string'),
    datapath_version: col('string'),
    external_ids: col('map'),
    fail_mode: col('string?', ['standalone', 'secure']),
    flood_vlans: col('integer*'),
    flow_tables: col('umap:Flow_Table'),
    ipfix: col('ref?:IPFIX'),
    mcast_snooping_enable: col('boolean'),
    mirrors: col('ref*:Mirror'),
    name: col('string'),
    netflow: col('ref?:NetFlow'),
    other_config: col('map'),
    ports: col('ref*:Port'),
    protocols: col('string*', OF_VERSIONS),
    rstp_enable: col('boolean'),
    rstp_status: col('map'),
    sflow: col('ref?:sFlow'),
    status: col('map'),
    stp_enable: col('boolean'),
  },
  Port: {
    bond_active_slave: col('string?'),
    bond_downdelay: col('integer'),
    bond_fake_iface: col('boolean'),
    bond_mode: col('string?', ['balance-tcp', 'balance-slb', 'active-backup']),
    bond_updelay: col('integer'),
    cvlans: col('integer*'),
    external_ids: col('map'),
    fake_bridge: col('boolean'),
    interfaces: col('ref*:Interface'),
    lacp: col('string?', ['active', 'passive', 'off']),
    mac: col('string?'),
    name: col('string'),
    other_config: col('map'),
    protected: col('boolean'),
    qos: col('ref?:QoS'),
    rstp_statistics: col('imap'),
    rstp_status: col('map'),
    statistics: col('imap'),
    status: col('map'),
    tag: col('integer?'),
    trunks: col('integer*'),
    vlan_mode: col('string?', ['trunk', 'access', 'native-tagged', 'native-untagged', 'dot1q-tunnel']),
  },
  Interface: {
    admin_state: col('string?', ['up', 'down']),
    bfd: col('map'),
    bfd_status: col('map'),
    cfm_fault: col('boolean?'),
    cfm_fault_status: col('string*'),
    cfm_flap_count: col('integer?'),
    cfm_health: col('integer?'),
    cfm_mpid: col('integer?'),
    cfm_remote_mpids: col('integer*'),
    cfm_remote_opstate: col('string?', ['up', 'down']),
    duplex: col('string?', ['half', 'full']),
    error: col('string?'),
    external_ids: col('map'),
    ifindex: col('integer?'),
    ingress_policing_burst: col('integer'),
    ingress_policing_kpkts_burst: col('integer'),
    ingress_policing_kpkts_rate: col('integer'),
    ingress_policing_rate: col('integer'),
    lacp_current: col('boolean?'),
    link_resets: col('integer?'),
    link_speed: col('integer?'),
    link_state: col('string?', ['up', 'down']),
    lldp: col('map'),
    mac: col('string?'),
    mac_in_use: col('string?'),
    mtu: col('integer?'),
    mtu_request: col('integer?'),
    name: col('string'),
    ofport: col('integer?'),
    ofport_request: col('integer?'),
    options: col('map'),
    other_config: col('map'),
    statistics: col('imap'),
    status: col('map'),
    type: col('string'),
  },
  Controller: {
    connection_mode: col('string?', ['in-band', 'out-of-band']),
    controller_burst_limit: col('integer?'),
    controller_queue_size: col('integer?'),
    controller_rate_limit: col('integer?'),
    enable_async_messages: col('boolean?'),
    external_ids: col('map'),
    inactivity_probe: col('integer?'),
    is_connected: col('boolean'),
    local_gateway: col('string?'),
    local_ip: col('string?'),
    local_netmask: col('string?'),
    max_backoff: col('integer?'),
    other_config: col('map'),
    role: col('string?', ['other', 'master', 'slave']),
    status: col('map'),
    target: col('string'),
    type: col('string?', ['primary', 'service']),
  },
  Manager: {
    connection_mode: col('string?', ['in-band', 'out-of-band']),
    external_ids: col('map'),
    inactivity_probe: col('integer?'),
    is_connected: col('boolean'),
    max_backoff: col('integer?'),
    other_config: col('map'),
    status: col('map'),
    target: col('string'),
  },
};

/** The column of a table whose value names a row in ovs-vsctl commands ("Bridge br-int"). */
export const NAME_COLUMN: Record<string, string | undefined> = {
  Bridge: 'name',
  Port: 'name',
  Interface: 'name',
  Controller: 'target',
  Manager: 'target',
};

/** Tables a row is "root" in (kept without references): others are garbage-collected when unreferenced. */
export const ROOT_TABLES = new Set(['Open_vSwitch']);
