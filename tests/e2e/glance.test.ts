// Glance v2 driven by Debian's `glance` and `openstack` clients: the seed's image-create, lists,
// show/set/unset/save/delete, tags, deactivate/reactivate, visibility between projects, the
// format check and the size cap.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeCirros } from '../../src/cli/image.js';
import { run, startTestCloud, type TestCloud } from './harness.js';

/** A command line's words, so argument lists read as the commands a user types. */
const words = (line: string) => line.split(' ');
const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');
const CAP = 12 * 1024 * 1024;

describe('glance with the real clients', () => {
  let cloud: TestCloud;
  // A data dir on disk, so the last test can restart the cloud on it.
  const dataDir = mkdtempSync(join(tmpdir(), 'pocketstack-glance-'));
  let cirros: string;
  let imageId: string;
  let other: Record<string, string>;

  before(async () => {
    cloud = await startTestCloud({ dataDir, ephemeral: false, imageSizeCap: CAP });
    cirros = join(cloud.dataDir, 'cirros-0.3.4-x86_64-disk.img');
    makeCirros(cirros);
  });
  after(async () => {
    await cloud?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const glance = (args: string[], env = cloud.admin) => run('glance', args, env);
  const osc = (args: string[], env = cloud.admin) => run('openstack', args, env);

  it('glance image-create --progress uploads the seed image and it becomes active with its MD5', async () => {
    // glanceclient draws its progress bar only on a terminal: run it under script(1)'s pty.
    const cmd = [
      'glance image-create --name cirros-0.3.4-x86_64 --disk-format qcow2 --container-format bare',
      `--file '${cirros}' --visibility public --progress`,
    ].join(' ');
    const r = await run('script', ['-qec', cmd, '/dev/null'], cloud.admin);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\[=+>\s*\] 100%/);
    const sum = md5(readFileSync(cirros));
    assert.match(r.stdout, new RegExp(`\\| checksum\\s+\\| ${sum}`));
    assert.match(r.stdout, /\| status\s+\| active/);
    assert.match(r.stdout, /\| virtual_size\s+\| 41126400/);
    assert.match(r.stdout, /\| os_hash_algo\s+\| sha512/);
    imageId = /\| id\s+\| ([0-9a-f-]{36})/.exec(r.stdout)?.[1] ?? '';
    assert.ok(imageId);
    // glance-api.log: eventlet's access line, and the service's own line for the upload.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const log = readFileSync(join(dataDir, 'logs', 'glance-api.log'), 'utf8');
    assert.match(
      log,
      new RegExp(
        `INFO eventlet\\.wsgi\\.server \\[req-[^\\]]+\\] 127\\.0\\.0\\.1 - - \\[[^\\]]+\\] "PUT /v2/images/${imageId}/file HTTP/1\\.1" 204 0 \\d+\\.\\d{6}`,
      ),
    );
    assert.match(
      log,
      new RegExp(`INFO glance\\.api\\.v2\\.image_data .* Image ${imageId} uploaded: 196616 bytes`),
    );
  });

  it('glance image-list and openstack image list/show show it', async () => {
    const list = await glance(['image-list']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, new RegExp(`\\| ${imageId} \\| cirros-0.3.4-x86_64 \\|`));
    const ol = await osc(['image', 'list', '-f', 'json']);
    assert.deepEqual(JSON.parse(ol.stdout), [{ ID: imageId, Name: 'cirros-0.3.4-x86_64', Status: 'active' }]);
    const show = await osc(['image', 'show', 'cirros-0.3.4-x86_64', '-f', 'json']);
    assert.equal(show.code, 0, show.stderr);
    const img = JSON.parse(show.stdout);
    assert.equal(img.id, imageId);
    assert.equal(img.disk_format, 'qcow2');
    assert.equal(img.visibility, 'public');
    assert.equal(img.size, 196616);
  });

  it('openstack image set/unset properties and tags, glance tag update/delete', async () => {
    let r = await osc(['image', 'set', '--property', 'foo=bar', '--tag', 'blue', 'cirros-0.3.4-x86_64']);
    assert.equal(r.code, 0, r.stderr);
    let img = JSON.parse((await osc(['image', 'show', imageId, '-f', 'json'])).stdout);
    assert.equal(img.properties.foo, 'bar');
    assert.deepEqual(img.tags, ['blue']);
    r = await glance(['image-tag-update', imageId, 'green']);
    assert.equal(r.code, 0, r.stderr);
    r = await osc(['image', 'unset', '--property', 'foo', '--tag', 'blue', 'cirros-0.3.4-x86_64']);
    assert.equal(r.code, 0, r.stderr);
    img = JSON.parse((await osc(['image', 'show', imageId, '-f', 'json'])).stdout);
    assert.equal(img.properties?.foo, undefined);
    assert.deepEqual(img.tags, ['green']);
    r = await glance(['image-tag-delete', imageId, 'green']);
    assert.equal(r.code, 0, r.stderr);
    r = await glance(['image-tag-delete', imageId, 'green']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /404/);
  });

  it('openstack image save and glance image-download give back the same bytes', async () => {
    const out = join(cloud.dataDir, 'saved.img');
    let r = await osc(['image', 'save', '--file', out, 'cirros-0.3.4-x86_64']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(md5(readFileSync(out)), md5(readFileSync(cirros)));
    const out2 = join(cloud.dataDir, 'downloaded.img');
    r = await glance(['image-download', '--file', out2, imageId]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(md5(readFileSync(out2)), md5(readFileSync(cirros)));
  });

  it('deactivate/reactivate: a member may not download a deactivated image, admin may', async () => {
    let r = await osc(['image', 'set', '--deactivate', 'cirros-0.3.4-x86_64']);
    assert.equal(r.code, 0, r.stderr);
    const img = JSON.parse((await osc(['image', 'show', imageId, '-f', 'json'])).stdout);
    assert.equal(img.status, 'deactivated');
    r = await glance(['image-download', '--file', join(cloud.dataDir, 'x.img'), imageId], cloud.demo);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /deactivated\. Image data download is forbidden/);
    r = await glance(['image-download', '--file', join(cloud.dataDir, 'y.img'), imageId]);
    assert.equal(r.code, 0, r.stderr);
    r = await glance(['image-reactivate', imageId]);
    assert.equal(r.code, 0, r.stderr);
    assert.match((await osc(['image', 'show', imageId, '-c', 'status', '-f', 'value'])).stdout, /^active/);
  });

  it('a member cannot publicize, sees its private image, another project does not', async () => {
    let r = await osc(
      [
        ...words('image create --public --disk-format qcow2 --container-format bare --file'),
        cirros,
        ...words('pub'),
      ],
      cloud.demo,
    );
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /You are not authorized to complete publicize_image action/);
    r = await osc(
      [
        ...words('image create --private --disk-format qcow2 --container-format bare --file'),
        cirros,
        ...words('demo-private'),
      ],
      cloud.demo,
    );
    assert.equal(r.code, 0, r.stderr);
    const names = (env: Record<string, string>) =>
      osc(['image', 'list', '-f', 'value', '-c', 'Name'], env).then((x) =>
        x.stdout.split('\n').filter(Boolean),
      );
    assert.deepEqual((await names(cloud.demo)).sort(), ['cirros-0.3.4-x86_64', 'demo-private']);
    // admin sees every project's images
    assert.ok((await names(cloud.admin)).includes('demo-private'));
    // A member of another project sees neither the image nor its name (404, never 403).
    for (const args of [
      ['project', 'create', 'other'],
      ['user', 'create', '--project', 'other', '--password', 'otherpass', 'other'],
      ['role', 'add', '--project', 'other', '--user', 'other', 'member'],
    ])
      assert.equal((await osc(args)).code, 0);
    other = { ...cloud.demo, OS_USERNAME: 'other', OS_PROJECT_NAME: 'other', OS_PASSWORD: 'otherpass' };
    assert.deepEqual(await names(other), ['cirros-0.3.4-x86_64']);
    const privateId = (
      await osc(['image', 'show', 'demo-private', '-c', 'id', '-f', 'value'], cloud.demo)
    ).stdout.trim();
    r = await glance(['image-show', privateId], other);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, new RegExp(`No image found with ID ${privateId}`));
    r = await osc(['image', 'delete', 'demo-private'], other);
    assert.match(r.stderr, /Failed to delete 1 of 1 images/);
  });

  it('a shared image: the owner adds a member project, which sees it by id and lists it once accepted', async () => {
    let r = await osc(
      [
        ...words('image create --shared --disk-format qcow2 --container-format bare --file'),
        cirros,
        ...words('demo-shared -f json'),
      ],
      cloud.demo,
    );
    assert.equal(r.code, 0, r.stderr);
    const id = JSON.parse(r.stdout).id as string;
    const otherProject = (await osc(['project', 'show', 'other', '-c', 'id', '-f', 'value'])).stdout.trim();
    r = await osc(['image', 'add', 'project', id, otherProject], cloud.demo);
    assert.equal(r.code, 0, r.stderr);
    const listed = async () => (await osc(['image', 'list', '-f', 'value', '-c', 'Name'], other)).stdout;
    assert.doesNotMatch(await listed(), /demo-shared/);
    assert.equal((await glance(['image-show', id], other)).code, 0);
    r = await osc(['image', 'set', '--accept', id], other);
    assert.equal(r.code, 0, r.stderr);
    assert.match(await listed(), /demo-shared/);
    r = await glance(['member-list', '--image-id', id], cloud.demo);
    assert.match(r.stdout, new RegExp(`\\| ${id} \\| ${otherProject} \\| accepted`));
  });

  it('interoperable import: glance image-create-via-import and openstack image create --import', async () => {
    const cmd = `glance image-create-via-import --name imported --disk-format qcow2 --container-format bare --file '${cirros}' --import-method glance-direct`;
    let r = await run('script', ['-qec', cmd, '/dev/null'], cloud.admin);
    assert.equal(r.code, 0, r.stdout);
    r = await osc([
      ...words('image create --import --disk-format qcow2 --container-format bare --file'),
      cirros,
      'imported-osc',
    ]);
    assert.equal(r.code, 0, r.stderr);
    await cloud.running.cloud.glance.imports.idle();
    for (const name of ['imported', 'imported-osc']) {
      const img = JSON.parse((await osc(['image', 'show', name, '-f', 'json'])).stdout);
      assert.equal(img.status, 'active');
      assert.equal(img.checksum, md5(readFileSync(cirros)));
      assert.equal(img.virtual_size, 41126400);
      assert.equal((await osc(['image', 'delete', name])).code, 0);
    }
  });

  it('10 MB of zeros declared qcow2 are refused and the image stays queued with no file kept', async () => {
    const zeros = join(cloud.dataDir, 'zeros.img');
    writeFileSync(zeros, Buffer.alloc(10_000_000));
    const r = await glance([
      ...words('image-create --name rawlie --disk-format qcow2 --container-format bare --file'),
      zeros,
    ]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /400 Bad Request/);
    const show = JSON.parse((await osc(['image', 'show', 'rawlie', '-f', 'json'])).stdout);
    assert.equal(show.status, 'queued');
    assert.equal(show.checksum ?? null, null);
    const dir = cloud.running.cloud.glance.files.dir;
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.startsWith(show.id)),
      [],
    );
  });

  it('an image over the size cap gets a 413 and stays queued', async () => {
    const big = join(cloud.dataDir, 'big.img');
    writeFileSync(big, Buffer.alloc(CAP + 1));
    const r = await glance([
      ...words('image-create --name toobig --disk-format raw --container-format bare --file'),
      big,
    ]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /413 Request Entity Too Large/);
    assert.match(r.stderr, /The incoming image is too large/);
    const show = JSON.parse((await osc(['image', 'show', 'toobig', '-f', 'json'])).stdout);
    assert.equal(show.status, 'queued');
  });

  it('a client that disconnects mid-upload leaves the image queued and no file', async () => {
    const token = (await osc(['token', 'issue', '-c', 'id', '-f', 'value'])).stdout.trim();
    const port = cloud.running.cloud.ports.image;
    const created = await fetch(`http://127.0.0.1:${port}/v2/images`, {
      method: 'POST',
      headers: { 'X-Auth-Token': token, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'cut', disk_format: 'raw', container_format: 'bare' }),
    });
    assert.equal(created.status, 201);
    const id = ((await created.json()) as { id: string }).id;
    await new Promise<void>((resolve) => {
      const req = request({
        host: '127.0.0.1',
        port,
        method: 'PUT',
        path: `/v2/images/${id}/file`,
        headers: {
          'X-Auth-Token': token,
          'Content-Type': 'application/octet-stream',
          'Content-Length': 1000000,
        },
      });
      req.on('error', () => resolve());
      req.write(Buffer.alloc(300000), () => setTimeout(() => req.destroy(), 200));
      req.on('close', () => resolve());
    });
    // the server notices the reset, cleans up, and restores the status
    let status = '';
    for (let i = 0; i < 50 && status !== 'queued'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      status = cloud.running.cloud.glance.repo.getImage(id)?.status ?? '';
    }
    assert.equal(status, 'queued');
    const dir = cloud.running.cloud.glance.files.dir;
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.startsWith(id)),
      [],
    );
    assert.ok(existsSync(dir));
  });

  it('openstack image delete removes it; a second delete fails', async () => {
    let r = await osc(['image', 'delete', 'demo-private'], cloud.demo);
    assert.equal(r.code, 0, r.stderr);
    r = await glance(['image-delete', imageId]);
    assert.equal(r.code, 0, r.stderr);
    r = await glance(['image-show', imageId]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /No image found with ID/);
  });

  it('a restarted cloud still has its images and their bytes', async () => {
    const r = await osc(['image', 'show', 'demo-shared', '-c', 'id', '-f', 'value'], cloud.demo);
    const id = r.stdout.trim();
    await cloud.stop();
    cloud = await startTestCloud({ dataDir, ephemeral: false, imageSizeCap: CAP });
    const out = join(dataDir, 'after-restart.img');
    const saved = await osc(['image', 'save', '--file', out, id], cloud.demo);
    assert.equal(saved.code, 0, saved.stderr);
    assert.equal(md5(readFileSync(out)), md5(readFileSync(cirros)));
  });
});
