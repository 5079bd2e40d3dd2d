// Image bytes: glance_store's file store under DIR/images/. An upload streams to `<id>.part`
// while MD5, SHA-512, the size and the format inspector see each chunk, and becomes `<id>` only
// once everything checked out; any failure (too big, wrong format, client gone) removes the
// part file and puts the image back to `queued`, as Glance's upload `_restore` does.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ImageRow } from '../../store/index.js';
import { badRequest, isServiceError, ServiceError } from '../errors.js';
import { tooLarge } from './errors.js';
import { FormatInspector } from './format-inspector.js';

export class ImageFiles {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }
  path(id: string): string {
    return join(this.dir, id);
  }
  partPath(id: string): string {
    return join(this.dir, `${id}.part`);
  }
  remove(id: string): void {
    rmSync(this.path(id), { force: true });
    rmSync(this.partPath(id), { force: true });
  }
  /** Part files of uploads a stopped process never finished. */
  removeStrayParts(): void {
    for (const f of readdirSync(this.dir))
      if (f.endsWith('.part')) rmSync(join(this.dir, f), { force: true });
  }
  open(id: string, start?: number, end?: number): Readable {
    return createReadStream(this.path(id), { start, end, highWaterMark: 1024 * 1024 });
  }
}

export interface UploadLimits {
  /** image_size_cap: the largest image accepted, in bytes. */
  sizeCap: number;
  requireFormatMatch: boolean;
}

export interface StoredData {
  size: number;
  checksum: string;
  osHashValue: string;
  virtualSize: number | null;
}

/** Thrown when the client went away before sending all its data. */
export const clientDisconnected = () => badRequest('Client disconnected before sending all data to backend');

/**
 * Streams `body` into the image's part file, hashing and inspecting as it goes, and renames it
 * into place. On any failure the part file is gone when this rejects.
 */
export async function storeImageData(
  files: ImageFiles,
  image: ImageRow,
  body: Readable,
  limits: UploadLimits,
  warn: (message: string) => void,
): Promise<StoredData> {
  const md5 = createHash('md5');
  const sha512 = createHash('sha512');
  const inspector = new FormatInspector(image.diskFormat ?? 'raw', limits.requireFormatMatch);
  let size = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      if (size > limits.sizeCap) return done(tooLarge());
      md5.update(chunk);
      sha512.update(chunk);
      inspector.push(chunk);
      const refusal = inspector.earlyRefusal();
      if (refusal) return done(badRequest(refusal));
      done(null, chunk);
    },
  });
  const part = files.partPath(image.id);
  // The request is piped, not pipelined: a refused upload must not destroy the client's
  // connection, which then could not read the 413. It is drained instead, and a client that
  // goes away mid-upload (the body closes before its end) fails the store.
  const onError = (e: Error) => meter.destroy(e);
  const onClose = () => {
    if (!body.readableEnded)
      meter.destroy(Object.assign(new Error('client disconnected'), { code: 'ECONNRESET' }));
  };
  body.on('error', onError);
  body.on('close', onClose);
  body.pipe(meter);
  const out = createWriteStream(part, { flags: 'w' });
  try {
    await pipeline(meter, out);
    const inspection = inspector.finish(size);
    if (inspection.detected !== image.diskFormat)
      warn(
        `Image ${image.id} declared ${image.diskFormat ?? 'None'} but its data looks like ${inspection.detected}`,
      );
    if (inspection.refusal) throw badRequest(inspection.refusal);
    renameSync(part, files.path(image.id));
    return {
      size,
      checksum: md5.digest('hex'),
      osHashValue: sha512.digest('hex'),
      virtualSize: inspection.virtualSize,
    };
  } catch (e) {
    // The file may still be opening when an early refusal lands: remove it once it is closed.
    if (!out.closed) await new Promise<void>((resolve) => out.once('close', () => resolve()));
    rmSync(part, { force: true });
    body.unpipe(meter);
    if (!body.destroyed) body.resume();
    if (isServiceError(e)) throw e;
    if ((e as NodeJS.ErrnoException).code === 'ECONNRESET' || !body.readableEnded) throw clientDisconnected();
    throw new ServiceError(
      'ServiceUnavailable',
      `Failed to store image data: ${(e as Error).message}`,
      undefined,
      500,
    );
  } finally {
    body.off('error', onError);
    body.off('close', onClose);
  }
}
