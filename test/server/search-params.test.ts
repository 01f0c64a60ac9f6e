/**
 * GET and POST /api/search's parameters: min_score and under read strictly and bounded, unknown names refused,
 * image links refused (the server fetches nothing a client names); then the same on a real planted collection.
 */
import assert from 'node:assert/strict';
import {readFile, rm} from 'node:fs/promises';
import {join} from 'node:path';
import {after, before, beforeEach, test} from 'node:test';
import type {FastifyInstance} from 'fastify';
import {buildServer} from '../../source/server/app.js';
import {openCollectionBackend} from '../../source/server/collection-backend.js';
import {FIXTURE_IMAGES_DIR} from '../helpers/image-server.js';
import {MODELS_DIR} from '../search/fixture-collection.js';
import {makePlantedCollection} from '../search/planted.js';
import {type FakeBackend, fakeBackend} from './fake-backend.js';
import {rawRequest} from './raw-http.js';

let server: FastifyInstance;
let base: string;
let backend: FakeBackend;
const auth = {authorization: 'Bearer sesame'};

before(async () => {
  backend = fakeBackend();
  server = await buildServer({backend, token: 'sesame', maxK: 50, maxUploadBytes: 1024});
  base = await server.listen({host: '127.0.0.1', port: 0});
});
after(() => server.close());
beforeEach(() => {
  backend.calls.length = 0;
  backend.filters.length = 0;
});

const get = (path: string) => rawRequest(base, {path, headers: auth});
const errorOf = (response: {text: string}) => (JSON.parse(response.text) as {error: string}).error;

test('min_score and under reach the backend as filters, on q, id and image searches', async () => {
  const q = encodeURIComponent('"2:golden retriever" + beach - "text"');
  assert.equal((await get(`/api/search?q=${q}&min_score=0.25&under=dogs/2024/`)).status, 200);
  assert.equal((await get('/api/search?id=1&min_score=-0.5&under=.')).status, 200);
  assert.equal((await get('/api/search?q=cat')).status, 200);
  const image = await rawRequest(base, {
    method: 'POST',
    path: '/api/search?k=3&min_score=.5&under=cats',
    headers: {...auth, 'content-type': 'image/jpeg'},
    body: Buffer.from([0xff, 0xd8, 0xff, 0]),
  });
  assert.equal(image.status, 200, image.text);
  assert.deepEqual(backend.filters, [
    {minScore: 0.25, under: 'dogs/2024/'},
    {minScore: -0.5, under: '.'},
    {},
    {minScore: 0.5, under: 'cats/'},
  ]);
  assert.match(backend.calls[0]!, /golden retriever.*"weight":2/);
});

test('bad min_score, under, unknown names and link terms are 400s that never reach the backend', async () => {
  const cases: [string, RegExp][] = [
    ['q=cat&min_score=1.5', /min_score must be a decimal from -1 to 1/],
    ['q=cat&min_score=0x1', /min_score/],
    ['q=cat&min_score=1e-1', /min_score/],
    ['q=cat&min_score=', /min_score/],
    ['q=cat&min_score=%200.2', /min_score/],
    ['q=cat&min_score=NaN', /min_score/],
    ['q=cat&under=..%2Fsecrets', /outside the images folder/],
    ['q=cat&under=a%2F..%2F..%2Fb', /outside the images folder/],
    ['q=cat&under=%2Fetc', /relative to the images folder/],
    ['q=cat&under=C%3A%2Fx', /relative/],
    ['q=cat&under=a%5C..%5C..', /relative/],
    ['q=cat&under=', /under must be/],
    [`q=cat&under=${'a'.repeat(257)}`, /1 to 256 characters/],
    ['q=cat&minscore=0.2', /unknown parameter 'minscore'/],
    [`q=${encodeURIComponent('"cat" + https://169.254.169.254/latest.jpg')}`, /not fetched over HTTP/],
    [`q=${encodeURIComponent('url:http://127.0.0.1:6379/')}`, /not fetched over HTTP/],
  ];
  for (const [query, message] of cases) {
    const response = await get(`/api/search?${query}`);
    assert.equal(response.status, 400, query);
    assert.match(errorOf(response), message, query);
  }
  const post = await rawRequest(base, {
    method: 'POST',
    path: '/api/search?q=cat',
    headers: {...auth, 'content-type': 'image/jpeg'},
    body: Buffer.from([0xff, 0xd8, 0xff, 0]),
  });
  assert.equal(post.status, 400, 'POST takes no q');
  assert.deepEqual(backend.calls, []);
});

test('on a planted collection: min_score cuts, under keeps one subfolder, drag-in images search', async () => {
  const {root, dir} = await makePlantedCollection();
  const real = await buildServer({
    backend: await openCollectionBackend({embeddingsDir: dir, modelsDir: MODELS_DIR}),
  });
  try {
    const url = await real.listen({host: '127.0.0.1', port: 0});
    const files = async (path: string) => {
      const response = await rawRequest(url, {path});
      assert.equal(response.status, 200, response.text);
      return (JSON.parse(response.text) as {results: {file: string}[]}).results.map((hit) => hit.file);
    };
    assert.deepEqual(await files('/api/search?id=0&min_score=0.85'), [
      'dogs/a.jpg',
      'dogsitter/d.jpg',
      'dogs/b.jpg',
    ]);
    assert.deepEqual(await files('/api/search?id=0&under=dogs'), [
      'dogs/a.jpg',
      'dogs/b.jpg',
      'dogs/deep/e.jpg',
    ]);
    assert.deepEqual(await files('/api/search?id=0&under=dogs&min_score=0.5'), ['dogs/a.jpg', 'dogs/b.jpg']);
    const body = await readFile(join(FIXTURE_IMAGES_DIR, 'photo_640x480.jpg'));
    const dropped = await rawRequest(url, {
      method: 'POST',
      path: '/api/search?k=2&under=cats',
      headers: {'content-type': 'image/jpeg'},
      body,
    });
    assert.equal(dropped.status, 200, dropped.text);
    assert.deepEqual(
      (JSON.parse(dropped.text) as {results: {file: string}[]}).results.map((hit) => hit.file),
      ['cats/c.jpg'],
    );
  } finally {
    await real.close();
    await rm(root, {recursive: true, force: true});
  }
});
