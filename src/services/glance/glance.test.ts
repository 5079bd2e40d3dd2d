// The image service without HTTP: schema messages as Glance words them, the format inspector,
// the life cycle of an upload and list paging.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { LogFile } from '../../sim/oslo-log.js';
import { openDatabase } from '../../store/index.js';
import type { ServiceError } from '../errors.js';
import { internalContext, type RequestContext } from '../policy.js';
import { loadGlanceConfig } from './config.js';
import { FormatInspector } from './format-inspector.js';
import { Glance } from './glance.js';
import { buildSparseQcow2 } from './qcow2.js';
import { validateImage } from './schema-check.js';

// Copies of reference/real-glance captures.
const reference = new URL('../../../../src/services/glance/testdata/', import.meta.url).pathname;
const captured = (name: string) =>
  JSON.parse(readFileSync(join(reference, name), 'utf8')) as { body: string };
/** webob's text/plain rendering folds the message's newlines into spaces. */
const plainMessage = (e: unknown) =>
  `400 Bad Request\n\n${(e as ServiceError).message.replaceAll('\n', ' ')}\n\n   `;

const member = (projectId: string): RequestContext => ({
  ...internalContext(),
  userId: `u-${projectId}`,
  projectId,
  system: false,
  roles: ['member', 'reader'],
});
const admin: RequestContext = { ...internalContext(), projectId: 'p-admin', system: false };

describe('glance schema messages', () => {
  for (const [file, doc] of [
    ['create_bad_disk_format_400.json', { name: 'bad', disk_format: 'floppy', container_format: 'bare' }],
    ['create_bad_id_400.json', { id: 'not-a-uuid', name: 'bad' }],
  ] as const)
    it(`words a schema mismatch as Glance does (${file})`, () => {
      let err: unknown;
      try {
        validateImage({ ...doc });
      } catch (e) {
        err = e;
      }
      assert.equal(plainMessage(err), captured(file).body);
    });
});

describe('format inspector', () => {
  const inspect = (format: string, bytes: Uint8Array, strict = true) => {
    const i = new FormatInspector(format, strict);
    i.push(bytes);
    return i.finish(bytes.length);
  };
  it('reads the virtual size from a qcow2 header', () => {
    const r = inspect('qcow2', buildSparseQcow2(41126400));
    assert.deepEqual(r, { detected: 'qcow2', virtualSize: 41126400, refusal: null });
  });
  it('refuses raw bytes declared qcow2, as current Glance; Zed stored them with virtual_size null', () => {
    const zeros = new Uint8Array(4096);
    assert.equal(inspect('qcow2', zeros).refusal, 'Image content does not match disk_format');
    assert.deepEqual(inspect('qcow2', zeros, false), { detected: 'raw', virtualSize: null, refusal: null });
  });
  it('refuses a qcow2 declared raw and a qcow2 with a backing file', () => {
    const q = buildSparseQcow2(1 << 20);
    assert.equal(inspect('raw', q).refusal, 'Image content does not match disk_format');
    const backed = q.slice();
    new DataView(backed.buffer).setBigUint64(8, 512n);
    assert.equal(inspect('qcow2', backed).refusal, 'Image does not pass safety check');
  });
  it('gives raw its size, and null for an empty raw image (as captured)', () => {
    assert.equal(inspect('raw', new Uint8Array(1000)).virtualSize, 1000);
    assert.equal(inspect('raw', new Uint8Array(0)).virtualSize, null);
  });
});

describe('glance service', () => {
  const dir = mkdtempSync(join(tmpdir(), 'glance-test-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const glance = new Glance(openDatabase(':memory:'), {
    imageDir: dir,
    imageSizeCap: 1 << 20,
    log: new LogFile(null),
  });
  const demo = member('p-demo');
  const other = member('p-other');

  it('takes an upload from queued to active with md5, sha512 and the qcow2 virtual size', async () => {
    const img = glance.createImage(demo, { name: 'c', disk_format: 'qcow2', container_format: 'bare' });
    assert.equal(img.status, 'queued');
    assert.equal(img.visibility, 'shared');
    const bytes = buildSparseQcow2(41126400);
    const active = await glance.upload(
      demo,
      img.id,
      Readable.from([bytes.subarray(0, 1000), bytes.subarray(1000)]),
    );
    assert.equal(active.status, 'active');
    assert.equal(active.size, bytes.length);
    assert.equal(active.virtualSize, 41126400);
    assert.equal(active.osHashAlgo, 'sha512');
    assert.equal(active.osHashValue?.length, 128);
    await assert.rejects(glance.upload(demo, img.id, Readable.from([bytes])), {
      message: 'Image status transition from active to saving is not allowed',
    });
  });

  it('restores queued and keeps no file when an upload is too large', async () => {
    const img = glance.createImage(demo, { name: 'big', disk_format: 'raw', container_format: 'bare' });
    await assert.rejects(
      glance.upload(demo, img.id, Readable.from([new Uint8Array(1 << 20), new Uint8Array(1)])),
      {
        status: 413,
      },
    );
    assert.equal(glance.getImage(demo, img.id).status, 'queued');
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.startsWith(img.id)),
      [],
    );
  });

  it('answers 410 and keeps no file when the image is deleted during its upload', async () => {
    const img = glance.createImage(demo, { name: 'gone', disk_format: 'raw', container_format: 'bare' });
    const body = new PassThrough();
    const upload = glance.upload(demo, img.id, body);
    body.write(new Uint8Array(1000));
    glance.deleteImage(demo, img.id);
    body.end(new Uint8Array(1000));
    await assert.rejects(upload, { status: 410 });
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.startsWith(img.id)),
      [],
    );
  });

  it('imports staged data (glance-direct) and refuses what Glance refuses', async () => {
    const img = glance.createImage(demo, { name: 'imp', disk_format: 'qcow2', container_format: 'bare' });
    assert.throws(() => glance.imports.start(demo, img.id, { method: { name: 'glance-direct' } }), {
      status: 409,
      message: "Image needs to be staged before 'glance-direct' method can be used",
    });
    assert.throws(
      () => glance.imports.start(demo, img.id, { method: { name: 'web-download', uri: 'http://x:8080/a' } }),
      {
        status: 400,
        message: 'URI for web-download does not pass filtering: http://x:8080/a',
      },
    );
    await glance.imports.stage(demo, img.id, Readable.from([buildSparseQcow2(1 << 20)]));
    assert.equal(glance.getImage(demo, img.id).status, 'uploading');
    glance.imports.start(demo, img.id, { method: { name: 'glance-direct' } });
    assert.equal(glance.getImage(demo, img.id).status, 'importing');
    await glance.imports.idle();
    const done = glance.getImage(demo, img.id);
    assert.equal(done.status, 'active');
    assert.equal(done.virtualSize, 1 << 20);
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.startsWith(img.id)),
      [img.id],
    );
  });

  it('hides private and shared images of other projects (404), publicizing needs admin', () => {
    const mine = glance.createImage(demo, { name: 'p', visibility: 'private' });
    assert.throws(() => glance.getImage(other, mine.id), {
      status: 404,
      message: `No image found with ID ${mine.id}`,
    });
    assert.throws(() => glance.createImage(demo, { name: 'x', visibility: 'public' }), {
      status: 403,
      message: 'You are not authorized to complete publicize_image action.',
    });
    const pub = glance.createImage(admin, { name: 'pub', visibility: 'public' });
    assert.equal(glance.getImage(other, pub.id).id, pub.id);
    assert.throws(() => glance.deleteImage(other, pub.id), { status: 403 });
  });

  it('pages a list with limit and marker, newest first by default', () => {
    const names = () => {
      const seen: string[] = [];
      let marker: string | undefined;
      for (;;) {
        const params: [string, string][] = [['limit', '2']];
        if (marker) params.push(['marker', marker]);
        const page = glance.listImages(demo, params);
        seen.push(...page.images.map((i) => i.name ?? ''));
        if (!page.nextMarker) return seen;
        marker = page.nextMarker;
      }
    };
    assert.deepEqual(names(), ['pub', 'p', 'imp', 'big', 'c']);
    assert.deepEqual(
      glance.listImages(demo, [['sort', 'name:asc']]).images.map((i) => i.name),
      ['big', 'c', 'imp', 'p', 'pub'],
    );
    assert.throws(() => glance.listImages(demo, [['sort_key', 'bogus']]), {
      message:
        'Invalid sort key: bogus. It must be one of the following: name, status, container_format, disk_format, size, id, created_at, updated_at.',
    });
  });
});

describe('early refusal', () => {
  it('stops a mismatching upload once the first 64 KiB decide it', () => {
    const i = new FormatInspector('qcow2', true);
    i.push(new Uint8Array(32 * 1024));
    assert.equal(i.earlyRefusal(), null);
    i.push(new Uint8Array(32 * 1024));
    assert.equal(i.earlyRefusal(), 'Image content does not match disk_format');
  });
});

describe('glance-api.conf', () => {
  it('reads the shipped file: a 1 GiB cap and the format check on', () => {
    const etc = new URL('../../../../etc', import.meta.url).pathname;
    const c = loadGlanceConfig(etc, (m) => assert.fail(m));
    assert.equal(c.imageSizeCap, 1024 ** 3);
    assert.equal(c.requireFormatMatch, true);
    assert.equal(c.limitParamDefault, 25);
    assert.match(c.file ?? '', /etc\/glance\/glance-api\.conf$/);
  });
  it('takes its list page size from limit_param_default', () => {
    const d = mkdtempSync(join(tmpdir(), 'glance-conf-'));
    try {
      const g = new Glance(openDatabase(':memory:'), {
        imageDir: d,
        config: { limitParamDefault: 2 },
        log: new LogFile(null),
      });
      for (const n of ['a', 'b', 'c']) g.createImage(admin, { name: n });
      const page = g.listImages(admin, []);
      assert.equal(page.images.length, 2);
      assert.ok(page.nextMarker);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});
