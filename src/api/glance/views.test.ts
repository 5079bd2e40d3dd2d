// The image document and list links against real Glance's answers (testdata/ copies of
// reference/real-glance captures): same keys in the same order, same values for the same image.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import type { ImageRow } from '../../store/index.js';
import { imageListView, imageView } from './views.js';

const testdata = new URL('../../../../src/api/glance/testdata/', import.meta.url).pathname;
const capture = (name: string) =>
  JSON.parse(readFileSync(`${testdata}${name}`, 'utf8')) as {
    request: { path: string };
    body: Record<string, unknown>;
  };

/** The captured image as pocketstack stores it. */
function rowOf(b: Record<string, unknown>): ImageRow {
  return {
    id: b.id as string,
    name: b.name as string,
    diskFormat: b.disk_format as string,
    containerFormat: b.container_format as string,
    visibility: b.visibility as ImageRow['visibility'],
    status: b.status as ImageRow['status'],
    size: b.size as number,
    virtualSize: b.virtual_size as number,
    checksum: b.checksum as string,
    osHashAlgo: b.os_hash_algo as string,
    osHashValue: b.os_hash_value as string,
    protected: b.protected as boolean,
    osHidden: b.os_hidden as boolean,
    minRam: b.min_ram as number,
    minDisk: b.min_disk as number,
    owner: b.owner as string,
    properties: Object.fromEntries(
      Object.entries(b).filter(([k]) => k === 'extra_prop' || k === 'foo') as [string, string][],
    ),
    tags: b.tags as string[],
    location: b.id as string,
    createdAt: (b.created_at as string).replace('Z', '.123Z'),
    updatedAt: (b.updated_at as string).replace('Z', '.456Z'),
    deleted: false,
  };
}

it('shows an image as Glance does, key for key and in order', () => {
  const body = capture('show_active.json').body;
  assert.deepEqual(Object.entries(imageView(rowOf(body))), Object.entries(body));
});

it('builds first and next links from the query as sent', () => {
  const c = capture('list_limit1_default_sort.json');
  const query = c.request.path.split('?')[1];
  const params = [...new URLSearchParams(query)];
  const images = (c.body.images as Record<string, unknown>[]).map(rowOf);
  const view = imageListView(images, params, images[0].id);
  assert.deepEqual(Object.entries(view), Object.entries(c.body));
});
