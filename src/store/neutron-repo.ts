// Neutron's tables: resources, ML2 segments, IP allocations, security group bindings, quotas
// and agents. The service decides; this file only reads and writes rows.
import type { Db } from './db.js';
import { type Doc, DocTable } from './neutron-docs.js';

export type { Doc } from './neutron-docs.js';
export { DocTable } from './neutron-docs.js';

export interface SegmentRow {
  network_id: string;
  network_type: string;
  physical_network: string | null;
  segmentation_id: number | null;
}

export interface IpAllocationRow {
  subnet_id: string;
  ip_address: string;
  network_id: string;
  port_id: string;
}

export class NeutronRepo {
  readonly networks: DocTable<Doc>;
  readonly subnets: DocTable<Doc>;
  readonly ports: DocTable<Doc>;
  readonly routers: DocTable<Doc>;
  readonly floatingips: DocTable<Doc>;
  readonly securityGroups: DocTable<Doc>;
  readonly securityGroupRules: DocTable<Doc>;
  readonly qosPolicies: DocTable<Doc>;
  readonly qosRules: DocTable<Doc>;
  readonly agents: DocTable<Doc>;

  constructor(readonly db: Db) {
    this.networks = new DocTable(db, 'neutron_networks', ['project_id', 'name']);
    this.subnets = new DocTable(db, 'neutron_subnets', ['project_id', 'name', 'network_id']);
    this.ports = new DocTable(db, 'neutron_ports', [
      'project_id',
      'name',
      'network_id',
      'device_id',
      'device_owner',
      'mac_address',
    ]);
    this.routers = new DocTable(db, 'neutron_routers', ['project_id', 'name']);
    this.floatingips = new DocTable(db, 'neutron_floatingips', [
      'project_id',
      'name',
      'floating_network_id',
      'port_id',
      'router_id',
    ]);
    this.securityGroups = new DocTable(db, 'neutron_security_groups', ['project_id', 'name']);
    this.securityGroupRules = new DocTable(db, 'neutron_security_group_rules', [
      'project_id',
      'name',
      'security_group_id',
    ]);
    this.qosPolicies = new DocTable(db, 'neutron_qos_policies', ['project_id', 'name']);
    this.qosRules = new DocTable(db, 'neutron_qos_rules', ['project_id', 'name', 'policy_id']);
    this.agents = new DocTable(db, 'neutron_agents', ['agent_type', 'host']);
  }

  /** Runs fn in one transaction (an allocation and the rows it belongs to commit together). */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  // --- ML2 segments
  segment(networkId: string): SegmentRow | undefined {
    return this.db.prepare('SELECT * FROM neutron_segments WHERE network_id = ?').get(networkId) as
      | SegmentRow
      | undefined;
  }
  segments(): SegmentRow[] {
    return this.db.prepare('SELECT * FROM neutron_segments').all() as SegmentRow[];
  }
  insertSegment(s: SegmentRow): void {
    this.db
      .prepare(
        'INSERT INTO neutron_segments (network_id, network_type, physical_network, segmentation_id) VALUES (?, ?, ?, ?)',
      )
      .run(s.network_id, s.network_type, s.physical_network, s.segmentation_id);
  }
  /** Segmentation ids in use for a type (and physnet, for VLAN). */
  usedSegmentationIds(networkType: string, physicalNetwork: string | null): Set<number> {
    const rows = this.db
      .prepare(
        "SELECT segmentation_id AS id FROM neutron_segments WHERE network_type = ? AND IFNULL(physical_network, '') = ? AND segmentation_id IS NOT NULL",
      )
      .all(networkType, physicalNetwork ?? '') as { id: number }[];
    return new Set(rows.map((r) => r.id));
  }
  segmentationIdUsed(networkType: string, physicalNetwork: string | null, id: number): boolean {
    return (
      this.db
        .prepare(
          "SELECT 1 FROM neutron_segments WHERE network_type = ? AND IFNULL(physical_network, '') = ? AND segmentation_id = ?",
        )
        .get(networkType, physicalNetwork ?? '', id) !== undefined
    );
  }
  flatPhysnetUsed(physicalNetwork: string): boolean {
    return (
      this.db
        .prepare("SELECT 1 FROM neutron_segments WHERE network_type = 'flat' AND physical_network = ?")
        .get(physicalNetwork) !== undefined
    );
  }

  // --- IP allocations
  ipAllocated(subnetId: string, ip: string): IpAllocationRow | undefined {
    return this.db
      .prepare('SELECT * FROM neutron_ip_allocations WHERE subnet_id = ? AND ip_address = ?')
      .get(subnetId, ip) as IpAllocationRow | undefined;
  }
  allocatedIps(subnetId: string): string[] {
    return (
      this.db.prepare('SELECT ip_address FROM neutron_ip_allocations WHERE subnet_id = ?').all(subnetId) as {
        ip_address: string;
      }[]
    ).map((r) => r.ip_address);
  }
  countAllocations(subnetId: string): number {
    return (
      this.db
        .prepare('SELECT COUNT(*) AS n FROM neutron_ip_allocations WHERE subnet_id = ?')
        .get(subnetId) as {
        n: number;
      }
    ).n;
  }
  insertAllocation(a: IpAllocationRow): void {
    this.db
      .prepare(
        'INSERT INTO neutron_ip_allocations (subnet_id, ip_address, network_id, port_id) VALUES (?, ?, ?, ?)',
      )
      .run(a.subnet_id, a.ip_address, a.network_id, a.port_id);
  }
  deleteAllocations(portId: string): void {
    this.db.prepare('DELETE FROM neutron_ip_allocations WHERE port_id = ?').run(portId);
  }
  allocationsOfPort(portId: string): IpAllocationRow[] {
    return this.db
      .prepare('SELECT * FROM neutron_ip_allocations WHERE port_id = ?')
      .all(portId) as IpAllocationRow[];
  }
  /** Ports holding an address of the subnet. */
  portsOnSubnet(subnetId: string): string[] {
    return (
      this.db
        .prepare('SELECT DISTINCT port_id FROM neutron_ip_allocations WHERE subnet_id = ?')
        .all(subnetId) as {
        port_id: string;
      }[]
    ).map((r) => r.port_id);
  }
  macInUse(mac: string): boolean {
    return this.db.prepare('SELECT 1 FROM neutron_ports WHERE mac_address = ?').get(mac) !== undefined;
  }

  // --- port ↔ security group
  setPortSecurityGroups(portId: string, groups: readonly string[]): void {
    this.db.prepare('DELETE FROM neutron_port_security_groups WHERE port_id = ?').run(portId);
    const ins = this.db.prepare(
      'INSERT INTO neutron_port_security_groups (port_id, security_group_id) VALUES (?, ?)',
    );
    for (const g of groups) ins.run(portId, g);
  }
  portsOfSecurityGroups(groups: readonly string[]): string[] {
    if (groups.length === 0) return [];
    return (
      this.db
        .prepare(
          `SELECT DISTINCT port_id FROM neutron_port_security_groups WHERE security_group_id IN (${groups.map(() => '?').join(', ')})`,
        )
        .all(...groups) as { port_id: string }[]
    ).map((r) => r.port_id);
  }

  // --- provisioning blocks (a port's row goes with the port: ON DELETE CASCADE)
  /** Adds the entity's block on the port; false when it was there already. */
  addProvisioningBlock(portId: string, entity: string): boolean {
    return (
      this.db
        .prepare('INSERT OR IGNORE INTO neutron_provisioning_blocks (port_id, entity) VALUES (?, ?)')
        .run(portId, entity).changes > 0
    );
  }
  /** Removes the entity's block on the port; false when there was none. */
  removeProvisioningBlock(portId: string, entity: string): boolean {
    return (
      this.db
        .prepare('DELETE FROM neutron_provisioning_blocks WHERE port_id = ? AND entity = ?')
        .run(portId, entity).changes > 0
    );
  }
  /** The entities still blocking the port, in name order. */
  provisioningBlocks(portId: string): string[] {
    return (
      this.db
        .prepare('SELECT entity FROM neutron_provisioning_blocks WHERE port_id = ? ORDER BY entity')
        .all(portId) as { entity: string }[]
    ).map((r) => r.entity);
  }

  // --- default security groups
  defaultSecurityGroup(projectId: string): string | undefined {
    const r = this.db
      .prepare('SELECT security_group_id AS id FROM neutron_default_security_groups WHERE project_id = ?')
      .get(projectId) as { id: string } | undefined;
    return r?.id;
  }
  setDefaultSecurityGroup(projectId: string, groupId: string): void {
    this.db
      .prepare('INSERT INTO neutron_default_security_groups (project_id, security_group_id) VALUES (?, ?)')
      .run(projectId, groupId);
  }
  isDefaultSecurityGroup(groupId: string): boolean {
    return (
      this.db
        .prepare('SELECT 1 FROM neutron_default_security_groups WHERE security_group_id = ?')
        .get(groupId) !== undefined
    );
  }

  // --- quotas
  quotaOverrides(projectId: string): Record<string, number> {
    const rows = this.db
      .prepare('SELECT resource, hard_limit FROM neutron_quotas WHERE project_id = ?')
      .all(projectId) as { resource: string; hard_limit: number }[];
    return Object.fromEntries(rows.map((r) => [r.resource, r.hard_limit]));
  }
  projectsWithQuotas(): string[] {
    return (
      this.db.prepare('SELECT DISTINCT project_id FROM neutron_quotas ORDER BY project_id').all() as {
        project_id: string;
      }[]
    ).map((r) => r.project_id);
  }
  setQuota(projectId: string, resource: string, limit: number): void {
    this.db
      .prepare(
        'INSERT INTO neutron_quotas (project_id, resource, hard_limit) VALUES (?, ?, ?) ON CONFLICT(project_id, resource) DO UPDATE SET hard_limit = excluded.hard_limit',
      )
      .run(projectId, resource, limit);
  }
  deleteQuotas(projectId: string): void {
    this.db.prepare('DELETE FROM neutron_quotas WHERE project_id = ?').run(projectId);
  }
}
