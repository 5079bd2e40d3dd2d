// nova-novncproxy on port 6080: serves noVNC's page for a console URL from `nova get-vnc-console`
// (`/vnc_auto.html?path=%3Ftoken%3D<token>`, or the older `?token=<token>`). The token is checked
// against the console tokens Nova minted (valid for 600 s); an unknown or expired one is refused
// with nova-novncproxy's words, and nothing of the instance is shown. With an `attach` the page is
// a terminal on the guest's serial console (novnc-console.ts).
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Consoles } from '../../services/nova/consoles.js';
import type { Logger } from '../../sim/oslo-log.js';
import { type ConsoleAttach, consolePage, htmlEscape, serveConsoleSockets } from './novnc-console.js';

type Query = Record<string, string | string[] | undefined>;

/** The token of a console URL: in `path` (`?token=…`, URL-decoded by now) or as `token`. */
export function tokenOf(request: FastifyRequest): string | null {
  const q = request.query as Query;
  const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
  const direct = first(q.token);
  if (direct) return direct;
  const path = first(q.path);
  if (!path) return null;
  const m = /(?:^|[?&])token=([^&]+)/.exec(path);
  return m ? decodeURIComponent(m[1]) : null;
}

export function novncProxy(
  consoles: Pick<Consoles, 'validate' | 'consume'>,
  log: Logger,
  /** Attaches a browser to a guest's console (the emulated hosts); without it the page only says where the log is. */
  attach?: ConsoleAttach,
): FastifyInstance {
  const app = Fastify({ logger: false });
  if (attach)
    serveConsoleSockets(app, {
      validate: (t) => consoles.validate(t),
      consume: (t) => consoles.consume(t),
      attach,
      log,
    });
  app.get('/vnc_auto.html', async (request, reply) => {
    const token = tokenOf(request);
    const target = token ? consoles.validate(token) : null;
    if (!target) {
      // nova/console/websocketproxy.py: InvalidToken, logged with the token masked.
      log.info(`handler exception: The token '***' is invalid or has expired`);
      reply.code(401).type('text/plain; charset=utf-8');
      return "The token '***' is invalid or has expired\n";
    }
    reply.type('text/html; charset=utf-8');
    if (attach) return consolePage(target);
    log.info(`${request.ip}: new handler Process`);
    log.info(
      `  ${target.instanceName}: connecting to console of instance ${target.instanceUuid} on ${target.host}`,
    );
    const name = htmlEscape(target.displayName);
    return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>${name} (${target.instanceUuid}) - noVNC</title></head>
<body>
<h1>Console of ${name}</h1>
<p>Instance ${target.instanceUuid} (${htmlEscape(target.instanceName)}) on host ${htmlEscape(target.host ?? '')}.</p>
<p>This cloud does not emulate a guest display yet; the serial console log is available with
<code>openstack console log show ${name}</code>.</p>
</body>
</html>
`;
  });
  app.setNotFoundHandler((_request, reply) => {
    reply.code(404).type('text/html; charset=utf-8');
    return '<html><head><title>404 Not Found</title></head><body><h1>404 Not Found</h1></body></html>\n';
  });
  return app;
}
