// /servers/{id}/os-instance-actions: what `openstack server event list/show` reads.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type Nova, novaPolicy } from '../../services/nova/index.js';
import { isAdmin, type RequestContext } from '../../services/policy.js';
import { mv } from './microversion.js';
import { hostId, pyTime } from './views.js';

const ctxOf = (r: FastifyRequest) => r.ctx as RequestContext;

export function instanceActionRoutes(app: FastifyInstance, nova: Nova): void {
  const action = (a: ReturnType<Nova['actions']['list']>[number], minor: number) => ({
    action: a.action,
    instance_uuid: a.instanceUuid,
    message: a.message,
    project_id: a.projectId,
    request_id: a.requestId,
    start_time: pyTime(a.startTime),
    user_id: a.userId,
    ...(minor >= 58 ? { updated_at: pyTime(a.updatedAt ?? a.startTime) } : {}),
  });

  app.get('/v2.1/servers/:id/os-instance-actions', async (request) => {
    const { id } = request.params as { id: string };
    const i = nova.servers.get(ctxOf(request), id, 'os_compute_api:os-instance-actions:list');
    return { instanceActions: nova.actions.list(i.uuid).map((a) => action(a, mv(request))) };
  });

  app.get('/v2.1/servers/:id/os-instance-actions/:requestId', async (request) => {
    const { id, requestId } = request.params as { id: string; requestId: string };
    const ctx = ctxOf(request);
    const minor = mv(request);
    const i = nova.servers.get(ctx, id, 'os_compute_api:os-instance-actions:show');
    const a = nova.actions.show(i.uuid, requestId);
    const body: Record<string, unknown> = action(a, minor);
    const owner = ctx.projectId === i.projectId;
    if (novaPolicy.allowed('os_compute_api:os-instance-actions:events', ctx) || (minor >= 51 && owner)) {
      const details = isAdmin(ctx);
      body.events = a.events.map((e) => ({
        event: e.event,
        start_time: pyTime(e.startTime),
        finish_time: pyTime(e.finishTime),
        result: e.result,
        ...(details ? { traceback: e.traceback } : {}),
        ...(minor >= 62
          ? { hostId: hostId(i.projectId, e.host), ...(details ? { host: e.host ?? '' } : {}) }
          : {}),
        ...(minor >= 84 && details ? { details: null } : {}),
      }));
    }
    return { instanceAction: body };
  });
}
