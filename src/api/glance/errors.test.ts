// Glance's error bodies byte for byte against real Glance's answers (copies of
// reference/real-glance captures in testdata/): text/plain for a request without Accept, HTML
// for `*/*`, webob's detail layout, the 415 with Accept-Patch.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import type { FastifyRequest } from 'fastify';
import type { ServiceError } from '../../services/errors.js';
import { imageNotFound, statusTransition } from '../../services/glance/errors.js';
import { applyChanges, parseChanges } from '../../services/glance/patch.js';
import { glanceError, UnsupportedMediaType } from './errors.js';

const testdata = new URL('../../../../src/api/glance/testdata/', import.meta.url).pathname;
interface Capture {
  request: { headers: Record<string, string> };
  status: number;
  headers: Record<string, string>;
  body: string;
}
const capture = (name: string) => JSON.parse(readFileSync(`${testdata}${name}`, 'utf8')) as Capture;

const thrown = (f: () => unknown): ServiceError => {
  try {
    f();
  } catch (e) {
    return e as ServiceError;
  }
  throw new Error('nothing thrown');
};

const cases: [string, () => ServiceError][] = [
  ['get_missing_404.json', () => imageNotFound('00000000-0000-0000-0000-000000000000')],
  [
    'patch_remove_missing_409.json',
    () => thrown(() => applyChanges([{ op: 'remove', attr: 'nosuchprop', schemaVersion: 10 }], {}, () => {})),
  ],
  ['patch_wrong_ctype_415.json', () => new UnsupportedMediaType('application/json')],
  [
    'patch_bad_op_400.json',
    () => thrown(() => parseChanges([{ op: 'frobnicate', path: '/name', value: 'x' }], 10)),
  ],
  [
    'patch_readonly_403.json',
    () => thrown(() => parseChanges([{ op: 'replace', path: '/status', value: 'queued' }], 10)),
  ],
  ['upload_to_active_409_html.json', () => statusTransition('active', 'saving')],
];

for (const [file, make] of cases)
  it(`renders ${file} as real Glance did`, () => {
    const c = capture(file);
    const request = {
      headers: Object.fromEntries(Object.entries(c.request.headers).map(([k, v]) => [k.toLowerCase(), v])),
    } as unknown as FastifyRequest;
    const r = glanceError(make(), request);
    assert.equal(r.status, c.status);
    assert.equal(r.body, c.body);
    assert.equal(r.contentType, c.headers['Content-Type']);
    if (c.headers['Accept-Patch']) assert.equal(r.headers?.['Accept-Patch'], c.headers['Accept-Patch']);
  });

it('answers JSON as webob does when the client asks for it', () => {
  const request = { headers: { accept: 'application/json' } } as unknown as FastifyRequest;
  const r = glanceError(imageNotFound('x'), request);
  assert.deepEqual(r.body, {
    message: 'No image found with ID x<br /><br />\n\n\n',
    code: '404 Not Found',
    title: 'Not Found',
  });
});
