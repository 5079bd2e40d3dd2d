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
  /** Data staged by PUT …/stage, waiting for a glance-direct import (Glance's staging area). */
  stagingPath(id: string): string {
    return join(this.dir, `${id}.staging`);
  }
  remove(id: string): void {
    for (const p of [this.path(id), this.partPath(id), this.stagingPath(id), `${this.path(id)}.inspecting`])
      rmSync(p, { force: true });
  }
  /** Part files of uploads a stopped process never finished. */
  removeStrayParts(): void {
    for (const f of readdirSync(this.dir))
      if (f.endsWith('.part') || f.endsWith('.inspecting')) rmSync(join(this.dir, f), { force: true });
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
 * Streams `body` through `onChunk` (which may refuse it with a ServiceError) into `part`, then
 * renames it to `final`. On any failure `part` is gone when this rejects.
 */
async function receive(
  body: Readable,
  part: string,
  final: string,
  onChunk: (chunk: Buffer) => void,
): Promise<void> {
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      try {
        onChunk(chunk);
      } catch (e) {
        return done(e as Error);
      }
      done(null, chunk);
    },
  });
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
    renameSync(part, final);
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

/** PUT …/stage: the data as sent, under the size cap, kept for a later glance-direct import. */
export async function stageImageData(
  files: ImageFiles,
  id: string,
  body: Readable,
  sizeCap: number,
): Promise<number> {
  let size = 0;
  await receive(body, files.partPath(id), files.stagingPath(id), (chunk) => {
    size += chunk.length;
    if (size > sizeCap) throw tooLarge();
  });
  return size;
}

/**
 * Streams `body` into the image's file, hashing and inspecting as it goes. The data is refused
 * (400) as soon as the inspector can tell it does not match the image's disk_format.
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
  const part = files.partPath(image.id);
  const staged = `${files.path(image.id)}.inspecting`;
  await receive(body, part, staged, (chunk) => {
    size += chunk.length;
    if (size > limits.sizeCap) throw tooLarge();
    md5.update(chunk);
    sha512.update(chunk);
    inspector.push(chunk);
    const refusal = inspector.earlyRefusal();
    if (refusal) throw badRequest(refusal);
  });
  const inspection = inspector.finish(size);
  if (inspection.detected !== image.diskFormat)
    warn(
      `Image ${image.id} declared ${image.diskFormat ?? 'None'} but its data looks like ${inspection.detected}`,
    );
  if (inspection.refusal) {
    rmSync(staged, { force: true });
    throw badRequest(inspection.refusal);
  }
  renameSync(staged, files.path(image.id));
  return {
    size,
    checksum: md5.digest('hex'),
    osHashValue: sha512.digest('hex'),
    virtualSize: inspection.virtualSize,
  };
}
