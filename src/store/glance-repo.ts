// Glance's images and image members. Rows in, plain objects out.
import type { Db } from './db.js';

export type ImageStatus =
  | 'queued'
  | 'saving'
  | 'uploading'
  | 'importing'
  | 'active'
  | 'killed'
  | 'deleted'
  | 'deactivated';
export type ImageVisibility = 'public' | 'private' | 'shared' | 'community';

export interface ImageRow {
  id: string;
  name: string | null;
  diskFormat: string | null;
  containerFormat: string | null;
  visibility: ImageVisibility;
  status: ImageStatus;
  size: number | null;
  virtualSize: number | null;
  checksum: string | null;
  osHashAlgo: string | null;
  osHashValue: string | null;
  protected: boolean;
  osHidden: boolean;
  minRam: number;
  minDisk: number;
  owner: string | null;
  /** Custom properties: string values, in the order they were set. */
  properties: Record<string, string>;
  tags: string[];
  /** The data file's name under the image directory, once uploaded. */
  location: string | null;
  /** ISO 8601 with milliseconds; the API shows whole seconds. */
  createdAt: string;
  updatedAt: string;
  deleted: boolean;
}

export type MemberStatus = 'pending' | 'accepted' | 'rejected';
export interface ImageMemberRow {
  imageId: string;
  member: string;
  status: MemberStatus;
  createdAt: string;
  updatedAt: string;
}

type Raw = Record<string, unknown>;

const toImage = (r: Raw): ImageRow => ({
  id: r.id as string,
  name: r.name as string | null,
  diskFormat: r.disk_format as string | null,
  containerFormat: r.container_format as string | null,
  visibility: r.visibility as ImageVisibility,
  status: r.status as ImageStatus,
  size: r.size as number | null,
  virtualSize: r.virtual_size as number | null,
  checksum: r.checksum as string | null,
  osHashAlgo: r.os_hash_algo as string | null,
  osHashValue: r.os_hash_value as string | null,
  protected: r.protected === 1,
  osHidden: r.os_hidden === 1,
  minRam: r.min_ram as number,
  minDisk: r.min_disk as number,
  owner: r.owner as string | null,
  properties: JSON.parse(r.properties as string) as Record<string, string>,
  tags: JSON.parse(r.tags as string) as string[],
  location: r.location as string | null,
  createdAt: r.created_at as string,
  updatedAt: r.updated_at as string,
  deleted: r.deleted === 1,
});

const toParams = (i: ImageRow) => ({
  id: i.id,
  name: i.name,
  disk_format: i.diskFormat,
  container_format: i.containerFormat,
  visibility: i.visibility,
  status: i.status,
  size: i.size,
  virtual_size: i.virtualSize,
  checksum: i.checksum,
  os_hash_algo: i.osHashAlgo,
  os_hash_value: i.osHashValue,
  protected: i.protected ? 1 : 0,
  os_hidden: i.osHidden ? 1 : 0,
  min_ram: i.minRam,
  min_disk: i.minDisk,
  owner: i.owner,
  properties: JSON.stringify(i.properties),
  tags: JSON.stringify(i.tags),
  location: i.location,
  created_at: i.createdAt,
  updated_at: i.updatedAt,
  deleted: i.deleted ? 1 : 0,
});

const columns = Object.keys(toParams({ properties: {}, tags: [] } as unknown as ImageRow));

const toMember = (r: Raw): ImageMemberRow => ({
  imageId: r.image_id as string,
  member: r.member as string,
  status: r.status as MemberStatus,
  createdAt: r.created_at as string,
  updatedAt: r.updated_at as string,
});

export class GlanceRepo {
  private readonly insertStmt;
  private readonly saveStmt;
  constructor(private readonly db: Db) {
    this.insertStmt = db.prepare(
      `INSERT INTO images (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`,
    );
    this.saveStmt = db.prepare(
      `UPDATE images SET ${columns
        .filter((c) => c !== 'id')
        .map((c) => `${c} = @${c}`)
        .join(', ')} WHERE id = @id`,
    );
  }

  insertImage(image: ImageRow): void {
    this.insertStmt.run(toParams(image));
  }

  /** Writes every field of the image back. */
  saveImage(image: ImageRow): void {
    this.saveStmt.run(toParams(image));
  }

  /** The image, deleted ones included (their row stays, as in Glance's database). */
  getImage(id: string): ImageRow | undefined {
    const r = this.db.prepare('SELECT * FROM images WHERE id = ?').get(id) as Raw | undefined;
    return r ? toImage(r) : undefined;
  }

  /** Every image not deleted, oldest first. */
  listImages(): ImageRow[] {
    return (
      this.db.prepare('SELECT * FROM images WHERE deleted = 0 ORDER BY created_at, id').all() as Raw[]
    ).map(toImage);
  }

  markDeleted(id: string, at: string): void {
    this.db
      .prepare(
        "UPDATE images SET deleted = 1, deleted_at = ?, status = 'deleted', location = NULL WHERE id = ?",
      )
      .run(at, id);
  }

  /** Images left `saving` or `importing` by a process that stopped mid-way. */
  imagesInFlight(): ImageRow[] {
    return (
      this.db.prepare("SELECT * FROM images WHERE status IN ('saving', 'importing')").all() as Raw[]
    ).map(toImage);
  }

  listMembers(imageId: string): ImageMemberRow[] {
    return (
      this.db
        .prepare('SELECT * FROM image_members WHERE image_id = ? ORDER BY created_at')
        .all(imageId) as Raw[]
    ).map(toMember);
  }

  getMember(imageId: string, member: string): ImageMemberRow | undefined {
    const r = this.db
      .prepare('SELECT * FROM image_members WHERE image_id = ? AND member = ?')
      .get(imageId, member) as Raw | undefined;
    return r ? toMember(r) : undefined;
  }

  /** image id → this project's membership status, for visibility checks of a list. */
  membershipsOf(member: string): Map<string, MemberStatus> {
    const rows = this.db
      .prepare('SELECT image_id, status FROM image_members WHERE member = ?')
      .all(member) as Raw[];
    return new Map(rows.map((r) => [r.image_id as string, r.status as MemberStatus]));
  }

  saveMember(m: ImageMemberRow): void {
    this.db
      .prepare(
        `INSERT INTO image_members (image_id, member, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (image_id, member) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at`,
      )
      .run(m.imageId, m.member, m.status, m.createdAt, m.updatedAt);
  }

  deleteMember(imageId: string, member: string): void {
    this.db.prepare('DELETE FROM image_members WHERE image_id = ? AND member = ?').run(imageId, member);
  }
}
