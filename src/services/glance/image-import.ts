// Interoperable image import (glance/api/v2/images.py import_image, Zed): PUT …/stage keeps the
// data in the staging area (status `uploading`), POST …/import {"method": {"name": …}} answers
// 202 and the import runs on: `importing`, then the same inspection and hashing as an upload,
// then `active` — or back to `queued` with the staged data dropped when it fails.
// web-download fetches the URI (Glance's default filtering: http/https on ports 80 and 443).
import { createReadStream, rmSync } from 'node:fs';
import { Readable } from 'node:stream';
import type { Logger } from '../../sim/oslo-log.js';
import type { GlanceRepo, ImageRow } from '../../store/index.js';
import { badRequest, conflict } from '../errors.js';
import type { RequestContext } from '../policy.js';
import { statusTransition } from './errors.js';
import {
  type ImageFiles,
  type StoredData,
  stageImageData,
  storeImageData,
  type UploadLimits,
} from './image-data.js';
import { glancePolicy, target } from './policy.js';

export const IMPORT_METHODS = ['glance-direct', 'web-download', 'copy-image'];

export interface ImportDeps {
  repo: GlanceRepo;
  files: ImageFiles;
  limits: UploadLimits;
  getImage: (ctx: RequestContext, id: string) => ImageRow;
  /** Writes the stored data's facts and makes the image active. */
  activate: (id: string, data: StoredData) => void;
  now: () => string;
  log: Logger;
}

function webDownloadAllowed(uri: string): boolean {
  try {
    const u = new URL(uri);
    const port = u.port === '' ? (u.protocol === 'https:' ? 443 : 80) : Number(u.port);
    return (u.protocol === 'http:' || u.protocol === 'https:') && (port === 80 || port === 443);
  } catch {
    return false;
  }
}

export class ImageImport {
  /** Imports still running (tests and shutdown wait on them). */
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly d: ImportDeps) {}

  async stage(ctx: RequestContext, id: string, body: Readable): Promise<void> {
    const image = this.d.getImage(ctx, id);
    glancePolicy.enforce('upload_image', ctx, target(image));
    if (image.status !== 'queued') throw statusTransition(image.status, 'uploading');
    this.d.repo.saveImage({ ...image, status: 'uploading', updatedAt: this.d.now() });
    try {
      await stageImageData(this.d.files, id, body, this.d.limits.sizeCap);
    } catch (e) {
      const current = this.d.repo.getImage(id);
      if (current && !current.deleted && current.status === 'uploading')
        this.d.repo.saveImage({ ...current, status: 'queued', updatedAt: this.d.now() });
      throw e;
    }
  }

  /** Checks the request and starts the import; resolves once it is under way (the API's 202). */
  start(ctx: RequestContext, id: string, body: unknown): void {
    const method = (body as { method?: unknown } | undefined)?.method;
    if (method === undefined || method === null)
      throw badRequest("Import request requires a 'method' field.");
    const name = (method as { name?: unknown }).name;
    if (name === undefined) throw badRequest("Import request requires a 'name' field.");
    if (!IMPORT_METHODS.includes(name as string))
      throw badRequest(`Unknown import method name '${String(name)}'.`);
    const image = this.d.getImage(ctx, id);
    glancePolicy.enforce('modify_image', ctx, target(image));
    if (name === 'copy-image') throw badRequest('Multi backend is not supported at this site.');
    if (image.status === 'active') throw conflict('Image with status active cannot be target for import');
    let source: () => Promise<Readable>;
    if (name === 'glance-direct') {
      if (image.status !== 'uploading')
        throw conflict("Image needs to be staged before 'glance-direct' method can be used");
      source = async () => createReadStream(this.d.files.stagingPath(id));
    } else {
      if (image.status !== 'queued')
        throw conflict("Image needs to be in 'queued' state to use 'web-download' method");
      const uri = (method as { uri?: unknown }).uri;
      if (typeof uri !== 'string' || !webDownloadAllowed(uri))
        throw badRequest(`URI for web-download does not pass filtering: ${String(uri)}`);
      source = async () => {
        const res = await fetch(uri);
        if (!res.ok || !res.body) throw new Error(`${uri} answered ${res.status}`);
        return Readable.fromWeb(res.body as import('node:stream/web').ReadableStream);
      };
    }
    const importing: ImageRow = { ...image, status: 'importing', updatedAt: this.d.now() };
    this.d.repo.saveImage(importing);
    const log = { requestId: ctx.requestId, userId: ctx.userId, projectId: ctx.projectId ?? undefined };
    const run = (async () => {
      try {
        const data = await storeImageData(this.d.files, importing, await source(), this.d.limits, (m) =>
          this.d.log.warning(m, log),
        );
        this.d.activate(id, data);
        this.d.log.info(`Image ${id} imported (${String(name)}): ${data.size} bytes`, log);
      } catch (e) {
        this.d.log.error(`Import of image ${id} (${String(name)}) failed: ${(e as Error).message}`, log);
        try {
          const current = this.d.repo.getImage(id);
          if (current && !current.deleted && current.status === 'importing')
            this.d.repo.saveImage({ ...current, status: 'queued', updatedAt: this.d.now() });
        } catch {
          // The cloud stopped under the import: the next start puts `importing` images back.
        }
      } finally {
        rmSync(this.d.files.stagingPath(id), { force: true });
      }
    })();
    this.running.add(run);
    void run.then(() => this.running.delete(run));
  }

  /** Resolves when every import under way has finished. */
  async idle(): Promise<void> {
    while (this.running.size) await Promise.all([...this.running]);
  }
}
