// Remote consoles (nova/objects/console_auth_token.py): each request mints a new token, kept
// for [consoleauth] token_ttl = 600 s, and the URL is novncproxy_base_url with the token in the
// `path` query (`vnc_auto.html?path=%3Ftoken%3D…`), which noVNC passes on to its websocket.
// nova-novncproxy (port 6080) validates the token before it connects a console.
import { randomUUID } from 'node:crypto';
import type { PlacementRepo } from '../../store/index.js';
import { badRequest, conflict } from '../errors.js';
import type { RequestContext } from '../policy.js';
import type { Servers } from './servers.js';
import { VM } from './states.js';

export const TOKEN_TTL_MS = 600_000;

export interface ConsoleTarget {
  instanceUuid: string;
  displayName: string;
  instanceName: string;
  host: string | null;
}

export class Consoles {
  constructor(
    private readonly placement: PlacementRepo,
    private readonly servers: Servers,
    /** novncproxy_base_url, e.g. http://127.0.0.1:6080/vnc_auto.html */
    private readonly novncBaseUrl: string,
    private readonly now: () => Date,
  ) {}

  create(
    ctx: RequestContext,
    id: string,
    protocol: string,
    type: string,
  ): { protocol: string; type: string; url: string } {
    const i = this.servers.get(ctx, id, 'os_compute_api:os-remote-consoles');
    // Only nova-novncproxy runs (as on packstack); Nova's answer for the console types it was
    // not configured for (ConsoleTypeUnavailable).
    if (protocol !== 'vnc' || type !== 'novnc') throw badRequest(`Unavailable console type ${type}.`);
    if (!i.host || i.vmState !== VM.ACTIVE)
      throw conflict(`Instance ${i.uuid} is not ready`, 'InstanceNotReady');
    const token = randomUUID();
    const nowMs = this.now().getTime();
    this.placement.purgeConsoleTokens(nowMs);
    this.placement.addConsoleToken({
      token,
      instanceUuid: i.uuid,
      consoleType: type,
      host: i.host,
      expiresAt: nowMs + TOKEN_TTL_MS,
    });
    return { protocol, type, url: `${this.novncBaseUrl}?path=%3Ftoken%3D${token}` };
  }

  /** The console a token opens, or null when it is unknown, expired, or its server is gone. */
  validate(token: string): ConsoleTarget | null {
    const t = this.placement.consoleToken(token);
    if (!t || t.expiresAt <= this.now().getTime()) return null;
    const i = this.servers.byUuid(t.instanceUuid);
    if (!i) return null;
    return { instanceUuid: i.uuid, displayName: i.displayName, instanceName: i.instanceName, host: i.host };
  }

  /** A token is spent once a console session is attached with it. */
  consume(token: string): void {
    this.placement.deleteConsoleToken(token);
  }
}
