// Agents (neutron/db/agents_db.py): a row per (agent_type, host), written by each report_state
// heartbeat; `alive` means a heartbeat within agent_down_time (75 s). `openstack network agent
// list` shows what the agents reported.

import type { NeutronAgent } from '../../bus/neutron-events.js';
import type { AgentState } from '../../bus/neutron-rpc.js';
import type { Doc } from '../../store/neutron-repo.js';
import { isAdmin, type RequestContext } from '../policy.js';
import { checks } from './attributes.js';
import { applyFilters, type Filters, type NeutronCore, newId, send } from './core.js';
import { neutronErrors as E } from './errors.js';
import { denied } from './policy.js';

const AGENT_FIELDS = new Set([
  'id',
  'agent_type',
  'binary',
  'topic',
  'host',
  'admin_state_up',
  'created_at',
  'started_at',
  'heartbeat_timestamp',
  'alive',
  'description',
  'availability_zone',
  'configurations',
  'resources_synced',
  'resource_versions',
]);

// agents_db prints times as "2026-11-24 14:37:39" (no T, no zone).
const agentTime = (d: Date) => d.toISOString().slice(0, 19).replace('T', ' ');

export class Agents {
  constructor(private readonly core: NeutronCore) {}

  /** A heartbeat: creates the agent on its first report, refreshes it after. */
  report(state: AgentState): { status: 'new' | 'alive' | 'revived'; agent: NeutronAgent } {
    const now = this.core.now();
    const t = agentTime(now);
    const existing = this.core.repo.agents.list({ agent_type: state.agent_type, host: state.host })[0];
    let status: 'new' | 'alive' | 'revived';
    let a: Doc;
    if (!existing) {
      status = 'new';
      a = {
        id: newId(),
        agent_type: state.agent_type,
        binary: state.binary,
        topic: state.topic,
        host: state.host,
        admin_state_up: true,
        created_at: t,
        started_at: t,
        heartbeat_timestamp: t,
        description: state.description ?? null,
        availability_zone: state.availability_zone ?? null,
        configurations: state.configurations ?? {},
        resources_synced: null,
        resource_versions: state.resource_versions ?? {},
      };
      this.core.repo.agents.insert(a);
    } else {
      a = existing;
      status = this.isAlive(a) ? 'alive' : 'revived';
      a.binary = state.binary;
      a.topic = state.topic;
      a.heartbeat_timestamp = t;
      a.configurations = state.configurations ?? {};
      if (state.availability_zone !== undefined) a.availability_zone = state.availability_zone;
      if (state.start_flag) a.started_at = t;
      if (state.resource_versions) a.resource_versions = state.resource_versions;
      this.core.repo.agents.update(a);
    }
    const view = this.view(a);
    if (status !== 'alive')
      this.core.log.info(
        `Agent ${state.agent_type} on ${state.host} is ${status === 'new' ? 'registered' : 'alive again'}`,
      );
    send(this.core, () => this.core.bus.publish('agent.updated', { agent: view }));
    return { status, agent: view };
  }

  isAlive(a: Doc): boolean {
    const beat = Date.parse(`${String(a.heartbeat_timestamp).replace(' ', 'T')}Z`);
    return this.core.now().getTime() - beat <= this.core.config.agentDownTime * 1000;
  }

  view(a: Doc): NeutronAgent {
    return { ...a, alive: this.isAlive(a) } as unknown as NeutronAgent;
  }

  /** All agents with their liveness (for binding and scheduling). */
  all(): NeutronAgent[] {
    return this.core.repo.agents.list().map((a) => this.view(a));
  }

  list(ctx: RequestContext, filters: Filters = {}): Doc[] {
    if (!isAdmin(ctx)) return [];
    return applyFilters(this.all() as unknown as Doc[], filters, AGENT_FIELDS);
  }

  find(ctx: RequestContext, id: string): Doc {
    const a = this.core.repo.agents.get(id);
    if (!a || !isAdmin(ctx)) throw E.agentNotFound(id);
    return this.view(a) as unknown as Doc;
  }

  update(ctx: RequestContext, id: string, input: unknown): Doc {
    if (!isAdmin(ctx)) throw denied('update_agent');
    this.find(ctx, id);
    const a = this.core.repo.agents.get(id) as Doc;
    if (input === null || typeof input !== 'object')
      throw E.httpBadRequest("Unable to find 'agent' in request body");
    const body = input as Record<string, unknown>;
    const unknown = Object.keys(body).filter((k) => k !== 'admin_state_up' && k !== 'description');
    if (unknown.length) throw E.httpBadRequest(`Unrecognized attribute(s) '${unknown.join(', ')}'`);
    if (body.admin_state_up !== undefined)
      a.admin_state_up = checks.bool()('admin_state_up')(body.admin_state_up);
    if (body.description !== undefined) a.description = checks.string(255)('description')(body.description);
    this.core.repo.agents.update(a);
    return this.view(a) as unknown as Doc;
  }

  delete(ctx: RequestContext, id: string): void {
    if (!isAdmin(ctx)) throw denied('delete_agent');
    this.find(ctx, id);
    this.core.repo.agents.delete(id);
  }

  /** Availability zones of the live agents: DHCP agents' for networks, L3 agents' for routers. */
  availabilityZones(): { name: string; resource: string; state: string }[] {
    const zones = new Map<string, { name: string; resource: string; state: string }>();
    for (const a of this.all()) {
      const resource =
        a.agent_type === 'DHCP agent' ? 'network' : a.agent_type === 'L3 agent' ? 'router' : null;
      if (!resource || !a.availability_zone) continue;
      const key = `${a.availability_zone}|${resource}`;
      const state = a.alive && a.admin_state_up ? 'available' : 'unavailable';
      const prev = zones.get(key);
      if (!prev || state === 'available') zones.set(key, { name: a.availability_zone, resource, state });
    }
    return [...zones.values()];
  }
}
