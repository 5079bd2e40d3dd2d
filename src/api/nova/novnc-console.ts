// The browser side of nova-novncproxy: the console page a `nova get-vnc-console` URL opens and the
// WebSocket behind it. Real noVNC draws the guest's VGA screen over RFB; an emulated guest has no
// framebuffer, so the page is a terminal (xterm.js, served from node_modules: no CDN) on the
// guest's serial console — the same console `pocketstack vm console` attaches to. As noVNC does,
// the page connects its WebSocket to the `path` of its own URL (`?token=…`); the proxy checks the
// token at the handshake (nova/console/websocketproxy.py new_websocket_client) and spends it.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { WebSocketServer } from 'ws';
import type { ConsoleTarget } from '../../services/nova/consoles.js';
import type { Logger } from '../../sim/oslo-log.js';

/** A console session the proxy attaches a browser to (the guest's serial console). */
export interface AttachedConsole {
  input(text: string): void;
  close(): void;
}

/** Opens the console of a target, writing what the guest prints to `out`; a string says why not. */
export type ConsoleAttach = (target: ConsoleTarget, out: (text: string) => void) => AttachedConsole | string;

const xtermDir = () => dirname(createRequire(import.meta.url).resolve('@xterm/xterm/lib/xterm.js'));

export const htmlEscape = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

/** The page of a valid console URL. */
export function consolePage(target: ConsoleTarget): string {
  const name = htmlEscape(target.displayName);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${name} (${target.instanceUuid}) - noVNC</title>
<link rel="stylesheet" href="/xterm/xterm.css">
<style>
  html, body { margin: 0; height: 100%; background: #313131; color: #fff; font-family: Helvetica, Arial, sans-serif; }
  #noVNC_status_bar { padding: 4px 8px; background: #494949; font-size: 13px; }
  #terminal { padding: 6px; height: calc(100% - 40px); }
</style>
</head>
<body>
<div id="noVNC_status_bar"><span id="noVNC_status">Connecting...</span></div>
<div id="terminal"></div>
<script src="/xterm/xterm.js"></script>
<script>
  // noVNC's vnc_auto.html: the WebSocket goes to the 'path' query of this page (?token=...).
  const params = new URLSearchParams(location.search);
  const path = params.get('path') || ('?token=' + encodeURIComponent(params.get('token') || ''));
  const status = document.getElementById('noVNC_status');
  const term = new Terminal({ convertEol: true, cursorBlink: true, scrollback: 5000 });
  term.open(document.getElementById('terminal'));
  const ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/' + path.replace(/^\\//, ''));
  ws.onopen = () => { status.textContent = 'Connected (unencrypted) to: ${htmlEscape(target.instanceName)}'; term.focus(); };
  ws.onmessage = (e) => term.write(e.data);
  ws.onclose = (e) => { status.textContent = 'Disconnected' + (e.reason ? ': ' + e.reason : ''); };
  term.onData((d) => { if (ws.readyState === WebSocket.OPEN) ws.send(d); });
  window.pocketstackTerminal = term;
</script>
</body>
</html>
`;
}

/**
 * Serves xterm.js and the console WebSocket on the proxy's app: any upgrade request whose query
 * carries a valid token is attached to that instance's console.
 */
export function serveConsoleSockets(
  app: FastifyInstance,
  o: {
    validate(token: string): ConsoleTarget | null;
    consume(token: string): void;
    attach: ConsoleAttach;
    log: Logger;
  },
): void {
  const files = new Map<string, string>();
  const file = (path: string) => {
    let text = files.get(path);
    if (text === undefined) {
      text = readFileSync(path, 'utf8');
      files.set(path, text);
    }
    return text;
  };
  app.get('/xterm/xterm.js', async (_req, reply) =>
    reply.type('application/javascript; charset=utf-8').send(file(join(xtermDir(), 'xterm.js'))),
  );
  app.get('/xterm/xterm.css', async (_req, reply) =>
    reply.type('text/css; charset=utf-8').send(file(join(xtermDir(), '..', 'css', 'xterm.css'))),
  );
  const wss = new WebSocketServer({ noServer: true });
  app.server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    const token = url.searchParams.get('token') ?? '';
    const target = token ? o.validate(token) : null;
    if (!target) {
      o.log.info(`handler exception: The token '***' is invalid or has expired`);
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
      return;
    }
    o.consume(token);
    wss.handleUpgrade(req, socket, head, (ws) => {
      o.log.info(`${req.socket.remoteAddress}: new handler Process`);
      o.log.info(`connect info: ConsoleAuthToken(instance_uuid=${target.instanceUuid},console_type='novnc')`);
      o.log.info(`connecting to: ${target.host}:${target.instanceName} (serial console)`);
      const session = o.attach(target, (text) => {
        if (ws.readyState === ws.OPEN) ws.send(text);
      });
      if (typeof session === 'string') {
        ws.close(1011, session.slice(0, 120));
        return;
      }
      ws.on('message', (data) => session.input(data.toString()));
      ws.on('close', () => session.close());
    });
  });
}
