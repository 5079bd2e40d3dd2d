// The image service: images' records and life cycle (queued → saving → active ⇄ deactivated,
// deleted), visibility and policy, tags, and the bytes through image-data.ts. Nova looks
// images up through getImage() with the caller's context.
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Logger } from '../../sim/oslo-log.js';
import { type Db, GlanceRepo, type ImageRow, inTransaction } from '../../store/index.js';
import { badRequest, conflict, forbidden, notFound, ServiceError } from '../errors.js';
import { isAdmin, type RequestContext } from '../policy.js';
import type { GlanceConfig } from './config.js';
import { imageNotFound, propertyLimit, statusTransition, tagLimit } from './errors.js';
import { overQuota, setAttribute } from './image-attributes.js';
import { ImageFiles, type StoredData, storeImageData, type UploadLimits } from './image-data.js';
import { ImageImport } from './image-import.js';
import {
  compareImages,
  type ListRequest,
  listedFor,
  matchesFilters,
  parseListRequest,
  type QueryParams,
} from './list-query.js';
import { ImageMembers } from './members.js';
import { applyChanges, checkAttributeWritable, type ImageChange } from './patch.js';
import { glancePolicy, imageVisible, target } from './policy.js';
import { pyRepr } from './python-repr.js';
import { validateImage } from './schema-check.js';

export const IMAGE_SIZE_CAP_DEFAULT = 1024 ** 3;
/** Attributes the image factory refuses at create (glance/domain ImageFactory._readonly_properties). */
const CREATE_READ_ONLY = ['created_at', 'updated_at', 'status', 'checksum', 'os_hash_algo', 'os_hash_value'];
const CREATE_DISALLOWED = ['direct_url', 'self', 'file', 'schema', 'stores'];

export interface GlanceOptions {
  /** Where image files live (DIR/images). */
  imageDir: string;
  /** glance-api.conf's values (Glance's defaults where absent). */
  config?: Partial<GlanceConfig>;
  /** Overrides image_size_cap in bytes (default 1 GiB). */
  imageSizeCap?: number;
  /** Overrides [image_format] require_image_format_match (default true, as current Glance). */
  requireFormatMatch?: boolean;
  /** glance-api.log: the service writes as Glance's modules (images, image_data, image_actions). */
  log: { logger(module: string): Logger };
}

export interface ImagePage {
  images: ImageRow[];
  /** The marker of the next page, when this one came back full. */
  nextMarker?: string;
}

export interface ImageDataRead {
  image: ImageRow;
  /** null when the image has no data (queued): Glance answers 204. */
  open: ((start?: number, end?: number) => Readable) | null;
}

// Glance keeps microseconds, so images created in a row sort in creation order; a clock that
// never repeats a millisecond does the same here.
let lastStamp = 0;
const deletedDuringUpload = (id: string) =>
  new ServiceError(
    'Gone',
    `Image ${id} could not be found after upload. The image may have been deleted during the upload.`,
  );

const logContext = (ctx: RequestContext) => ({
  requestId: ctx.requestId,
  userId: ctx.userId,
  projectId: ctx.projectId ?? undefined,
});

const now = () => {
  lastStamp = Math.max(Date.now(), lastStamp + 1);
  return new Date(lastStamp).toISOString();
};

export class Glance {
  readonly repo: GlanceRepo;
  readonly files: ImageFiles;
  readonly limits: UploadLimits;
  readonly members: ImageMembers;
  /** Interoperable image import: stage, then glance-direct or web-download. */
  readonly imports: ImageImport;
  private readonly quotas: { properties: number; tags: number; listDefault: number; listMax: number };
  private readonly log: { images: Logger; data: Logger; actions: Logger };

  constructor(
    private readonly db: Db,
    o: GlanceOptions,
  ) {
    this.repo = new GlanceRepo(db);
    this.files = new ImageFiles(o.imageDir);
    const c = o.config ?? {};
    this.limits = {
      sizeCap: o.imageSizeCap ?? c.imageSizeCap ?? IMAGE_SIZE_CAP_DEFAULT,
      requireFormatMatch: o.requireFormatMatch ?? c.requireFormatMatch ?? true,
    };
    this.quotas = {
      properties: c.imagePropertyQuota ?? 128,
      tags: c.imageTagQuota ?? 128,
      listDefault: c.limitParamDefault ?? 25,
      listMax: c.apiLimitMax ?? 1000,
    };
    this.log = {
      images: o.log.logger('glance.api.v2.images'),
      data: o.log.logger('glance.api.v2.image_data'),
      actions: o.log.logger('glance.api.v2.image_actions'),
    };
    this.members = new ImageMembers(
      this.repo,
      (ctx, id) => this.findImage(ctx, id),
      now,
      c.imageMemberQuota ?? 128,
    );
    // A process that stopped mid-upload left a part file and a `saving` image: both go back.
    this.files.removeStrayParts();
    for (const image of this.repo.imagesInFlight()) {
      this.files.remove(image.id);
      this.repo.saveImage({ ...image, status: 'queued' });
    }
    this.imports = new ImageImport({
      repo: this.repo,
      files: this.files,
      limits: this.limits,
      getImage: (ctx, id) => this.getImage(ctx, id),
      activate: (id, data) => this.activate(id, data),
      now,
      log: this.log.images,
    });
  }

  /** The stored data's facts on the image, now active (410 if it was deleted meanwhile). */
  private activate(id: string, data: StoredData): ImageRow {
    const current = this.repo.getImage(id);
    if (!current || current.deleted) throw deletedDuringUpload(id);
    const active: ImageRow = {
      ...current,
      status: 'active',
      size: data.size,
      virtualSize: data.virtualSize,
      checksum: data.checksum,
      osHashAlgo: 'sha512',
      osHashValue: data.osHashValue,
      location: id,
      updatedAt: now(),
    };
    this.repo.saveImage(active);
    return active;
  }

  /** The image if the caller may see it, else Glance's 404. For Nova's server create too. */
  getImage(ctx: RequestContext, id: string): ImageRow {
    const image = this.findImage(ctx, id);
    if (!image) throw imageNotFound(id);
    return image;
  }

  findImage(ctx: RequestContext, id: string): ImageRow | undefined {
    const image = this.repo.getImage(id);
    if (!image || image.deleted) return undefined;
    const membership = ctx.projectId ? this.repo.getMember(id, ctx.projectId)?.status : undefined;
    return imageVisible(ctx, image, membership) ? image : undefined;
  }

  createImage(ctx: RequestContext, body: unknown): ImageRow {
    if (body === null || typeof body !== 'object' || Array.isArray(body))
      throw badRequest(
        `Provided object does not match schema 'image': ${pyRepr(body)} is not of type 'object'`,
      );
    const doc = { ...(body as Record<string, unknown>) };
    for (const k of CREATE_DISALLOWED)
      if (Object.hasOwn(doc, k)) throw forbidden(`Attribute '${k}' is read-only.`);
    validateImage(doc);
    for (const k of Object.keys(doc)) {
      if (k === 'id') continue;
      if (CREATE_READ_ONLY.includes(k)) throw forbidden(`Attribute '${k}' is read-only.`);
      checkAttributeWritable(k);
    }
    const id = (doc.id as string | undefined) ?? randomUUID();
    if (this.repo.getImage(id)) throw conflict(`Image ID ${id} already exists!`);
    const owner = (doc.owner as string | null | undefined) ?? ctx.projectId;
    if (!isAdmin(ctx) && owner !== ctx.projectId)
      throw forbidden(`You are not permitted to create images owned by '${owner}'.`);
    const at = now();
    const image: ImageRow = {
      id,
      name: null,
      diskFormat: null,
      containerFormat: null,
      visibility: 'shared',
      status: 'queued',
      size: null,
      virtualSize: null,
      checksum: null,
      osHashAlgo: null,
      osHashValue: null,
      protected: false,
      osHidden: false,
      minRam: 0,
      minDisk: 0,
      owner,
      properties: {},
      tags: [],
      location: null,
      createdAt: at,
      updatedAt: at,
      deleted: false,
    };
    const { id: _id, owner: _owner, ...rest } = doc;
    const changes: ImageChange[] = Object.entries(rest).map(([attr, value]) => ({
      op: 'add',
      attr,
      value,
      schemaVersion: 10,
    }));
    glancePolicy.enforce('add_image', ctx, { owner });
    this.applyToImage(ctx, image, changes);
    this.repo.insertImage(image);
    this.log.images.info(`Image ${id} created`, logContext(ctx));
    return image;
  }

  listImages(ctx: RequestContext, params: QueryParams): ImagePage {
    const q: ListRequest = parseListRequest(params, this.quotas.listDefault, this.quotas.listMax);
    const memberships = ctx.projectId ? this.repo.membershipsOf(ctx.projectId) : new Map();
    const visibility = q.filters.find(([k]) => k === 'visibility')?.[1];
    let images = this.repo
      .listImages()
      .filter(
        (i) =>
          listedFor(ctx, i, memberships.get(i.id), visibility, q.memberStatus) &&
          matchesFilters(i, q.filters),
      )
      .sort((a, b) => compareImages(a, b, q.sort));
    if (q.marker !== undefined) {
      const marker = this.findImage(ctx, q.marker);
      if (!marker) throw badRequest(`No image found with ID ${q.marker}`);
      images = images.filter((i) => compareImages(i, marker, q.sort) > 0);
    }
    const page = images.slice(0, q.limit);
    return {
      images: page,
      nextMarker: page.length > 0 && page.length === q.limit ? page[page.length - 1].id : undefined,
    };
  }

  updateImage(ctx: RequestContext, id: string, changes: ImageChange[]): ImageRow {
    const image = this.getImage(ctx, id);
    glancePolicy.enforce('modify_image', ctx, target(image));
    const updated: ImageRow = { ...image, properties: { ...image.properties }, tags: [...image.tags] };
    this.applyToImage(ctx, updated, changes);
    if (changes.length) {
      updated.updatedAt = now();
      this.repo.saveImage(updated);
    }
    return updated;
  }

  /** Applies changes with the domain rules of glance.domain.Image and the policy proxies. */
  private applyToImage(ctx: RequestContext, image: ImageRow, changes: ImageChange[]): void {
    applyChanges(changes, image.properties, (attr, value) =>
      setAttribute(ctx, image, attr, value, this.quotas.tags),
    );
    const n = Object.keys(image.properties).length;
    if (overQuota(n, this.quotas.properties)) throw propertyLimit(n, this.quotas.properties);
  }

  deleteImage(ctx: RequestContext, id: string): void {
    const image = this.findImage(ctx, id);
    if (!image) throw notFound(`Failed to find image ${id} to delete`);
    glancePolicy.enforce('delete_image', ctx, target(image));
    if (image.protected) throw forbidden(`Image ${id} is protected and cannot be deleted.`);
    inTransaction(this.db, () => this.repo.markDeleted(id, now()));
    this.files.remove(id);
    this.log.images.info(`Image ${id} deleted`, logContext(ctx));
  }

  /** POST …/actions/deactivate and reactivate: idempotent, only between active and deactivated. */
  setActive(ctx: RequestContext, id: string, active: boolean): void {
    const image = this.getImage(ctx, id);
    const action = active ? 'reactivate' : 'deactivate';
    glancePolicy.enforce(action, ctx, target(image));
    const from = active ? 'deactivated' : 'active';
    const to = active ? 'active' : 'deactivated';
    if (image.status === to) return;
    if (image.status !== from) throw forbidden(`Not allowed to ${action} image in status '${image.status}'`);
    this.repo.saveImage({ ...image, status: to, updatedAt: now() });
    this.log.actions.info(`Image ${id} is ${action}d`, logContext(ctx));
  }

  addTag(ctx: RequestContext, id: string, tag: string): void {
    const image = this.getImage(ctx, id);
    glancePolicy.enforce('modify_image', ctx, target(image));
    validateImage({ tags: [tag] });
    if (image.tags.includes(tag)) return;
    if (overQuota(image.tags.length + 1, this.quotas.tags))
      throw tagLimit(image.tags.length + 1, this.quotas.tags);
    this.repo.saveImage({ ...image, tags: [...image.tags, tag], updatedAt: now() });
  }

  deleteTag(ctx: RequestContext, id: string, tag: string): void {
    const image = this.getImage(ctx, id);
    glancePolicy.enforce('modify_image', ctx, target(image));
    if (!image.tags.includes(tag)) throw notFound('The resource could not be found.');
    this.repo.saveImage({ ...image, tags: image.tags.filter((t) => t !== tag), updatedAt: now() });
  }

  /**
   * PUT …/file: queued → saving → active, or back to queued with nothing kept when the upload
   * fails. `declaredLength` (Content-Length) over the cap is refused before reading.
   */
  async upload(ctx: RequestContext, id: string, body: Readable, declaredLength?: number): Promise<ImageRow> {
    const image = this.getImage(ctx, id);
    glancePolicy.enforce('upload_image', ctx, target(image));
    if (image.status !== 'queued') throw statusTransition(image.status, 'saving');
    const missing = [
      image.diskFormat === null && 'disk_format',
      image.containerFormat === null && 'container_format',
    ]
      .filter(Boolean)
      .join(', ');
    if (missing) throw badRequest(`Properties ${missing} must be set prior to saving data.`);
    const saving: ImageRow = { ...image, status: 'saving', updatedAt: now() };
    this.repo.saveImage(saving);
    const restore = (why: string) => {
      const current = this.repo.getImage(id);
      if (current && !current.deleted && current.status === 'saving')
        this.repo.saveImage({ ...current, status: 'queued', updatedAt: now() });
      this.log.data.error(`Failed to upload image ${id}: ${why}`, logContext(ctx));
    };
    try {
      if (declaredLength !== undefined && declaredLength > this.limits.sizeCap) {
        body.resume();
        throw new ServiceError(
          'RequestTooLarge',
          'The incoming image is too large: The provided image is too large.',
        );
      }
      const data = await storeImageData(this.files, saving, body, this.limits, (m) =>
        this.log.data.warning(m, logContext(ctx)),
      );
      const active = this.activate(id, data);
      this.log.data.info(
        `Image ${id} uploaded: ${data.size} bytes, checksum ${data.checksum}`,
        logContext(ctx),
      );
      return active;
    } catch (e) {
      // Deleted while its data was arriving: whatever the store step said, the answer is 410.
      if (this.repo.getImage(id)?.deleted) {
        this.files.remove(id);
        throw deletedDuringUpload(id);
      }
      restore((e as Error).message);
      throw e;
    }
  }

  /** GET …/file: deactivated images only for admins; no data → `open` null (204). */
  readData(ctx: RequestContext, id: string): ImageDataRead {
    const image = this.getImage(ctx, id);
    glancePolicy.enforce('download_image', ctx, target(image));
    if (image.status === 'deactivated' && !isAdmin(ctx))
      throw forbidden('The requested image has been deactivated. Image data download is forbidden.');
    if (!image.location) return { image, open: null };
    return { image, open: (start, end) => this.files.open(image.id, start, end) };
  }
}
