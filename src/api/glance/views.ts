// The image document as Glance v2 shows it (reference/real-glance/show_active.json): custom
// properties first, then the base attributes in Glance's order, times to the second.
import type { ImageMemberRow, ImageRow } from '../../store/index.js';

const seconds = (iso: string) => `${iso.slice(0, 19)}Z`;

export function imageView(i: ImageRow): Record<string, unknown> {
  return {
    ...i.properties,
    name: i.name,
    disk_format: i.diskFormat,
    container_format: i.containerFormat,
    visibility: i.visibility,
    size: i.size,
    virtual_size: i.virtualSize,
    status: i.status,
    checksum: i.checksum,
    protected: i.protected,
    min_ram: i.minRam,
    min_disk: i.minDisk,
    owner: i.owner,
    os_hidden: i.osHidden,
    os_hash_algo: i.osHashAlgo,
    os_hash_value: i.osHashValue,
    id: i.id,
    created_at: seconds(i.createdAt),
    updated_at: seconds(i.updatedAt),
    tags: i.tags,
    self: `/v2/images/${i.id}`,
    file: `/v2/images/${i.id}/file`,
    schema: '/v2/schemas/image',
  };
}

export function memberView(m: ImageMemberRow): Record<string, unknown> {
  return {
    member_id: m.member,
    image_id: m.imageId,
    created_at: seconds(m.createdAt),
    updated_at: seconds(m.updatedAt),
    status: m.status,
    schema: '/v2/schemas/member',
  };
}

/** Python's urllib.parse.urlencode (quote_plus), which Glance's `first`/`next` links use. */
export function urlencode(params: [string, string][]): string {
  const quote = (s: string) =>
    [...new TextEncoder().encode(s)]
      .map((b) => {
        const c = String.fromCharCode(b);
        if (/[A-Za-z0-9_.~-]/.test(c)) return c;
        return b === 0x20 ? '+' : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
      })
      .join('');
  return params.map(([k, v]) => `${quote(k)}=${quote(v)}`).join('&');
}

/** dict(request.params): one value per key (the last), in the order keys first appeared. */
export function lastValues(params: [string, string][]): [string, string][] {
  const m = new Map<string, string>();
  for (const [k, v] of params) m.set(k, v);
  return [...m];
}

export function imageListView(
  images: ImageRow[],
  params: [string, string][],
  nextMarker: string | undefined,
): Record<string, unknown> {
  const query = lastValues(params).filter(([k]) => k !== 'marker');
  const body: Record<string, unknown> = {
    images: images.map(imageView),
    first: query.length ? `/v2/images?${urlencode(query)}` : '/v2/images',
    schema: '/v2/schemas/images',
  };
  if (nextMarker !== undefined) body.next = `/v2/images?${urlencode([...query, ['marker', nextMarker]])}`;
  return body;
}
