import assert from 'node:assert/strict';
import {after, before, test} from 'node:test';
import type {FastifyInstance} from 'fastify';
import {describeQuery} from '../../source/core/search/query.js';
import {buildServer} from '../../source/server/app.js';
import {BadQueryError, type ServeBackend} from '../../source/server/backend.js';

const calls: string[] = [];
const fakeBackend: ServeBackend = {
  stats: () => ({count: 2, model: 'fake', dtype: 'fp32', dims: 4, index: 'exact'}),
  searchText: async (query, k) => {
    calls.push(`text:${describeQuery(query)}:${k}`);
    return [{rank: 1, id: 0, file: 'a.jpg', score: 0.5}];
  },
  searchImage: async (bytes) => {
    if (bytes[0] !== 0xff) throw new BadQueryError('not an image');
    return [{rank: 1, id: 1, file: 'b.png', score: 0.9}];
  },
  searchById: async (id) => {
    if (id > 1) throw new BadQueryError(`no image with id ${id}`);
    return [{rank: 1, id, file: 'a.jpg', score: 1}];
  },
  imagePath: async () => undefined,
  embedUploads: async (files) => ({
    added: [],
    failed: files.map((file) => ({file: file.name, reason: 'bad'})),
  }),
  close: async () => undefined,
};

let server: FastifyInstance;
let base: string;
before(async () => {
  server = await buildServer({backend: fakeBackend, token: 'sesame', maxK: 50, maxUploadBytes: 1024});
  base = await server.listen({host: '127.0.0.1', port: 0});
});
after(() => server.close());

const authed = {authorization: 'Bearer sesame'};

test('health is open, the rest needs the bearer token', async () => {
  assert.equal((await fetch(`${base}/api/health`)).status, 200);
  const denied = await fetch(`${base}/api/stats`);
  assert.equal(denied.status, 401);
  assert.match(((await denied.json()) as {error: string}).error, /token/);
  const stats = await (await fetch(`${base}/api/stats`, {headers: authed})).json();
  assert.deepEqual(stats, {count: 2, model: 'fake', dtype: 'fp32', dims: 4, index: 'exact'});
});

test('text search returns ranked results and bounds k', async () => {
  const response = await fetch(`${base}/api/search?q=a%20red%20car&k=3`, {headers: authed});
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), {results: [{rank: 1, id: 0, file: 'a.jpg', score: 0.5}]});
  assert.ok(calls.includes('text:"a red car":3'));
  for (const k of ['0', '51', 'x', '2.5']) {
    const bad = await fetch(`${base}/api/search?q=x&k=${k}`, {headers: authed});
    assert.equal(bad.status, 400, `k=${k}`);
    assert.match(((await bad.json()) as {error: string}).error, /k must be/);
  }
  assert.equal((await fetch(`${base}/api/search`, {headers: authed})).status, 400);
});

test('image search takes raw bytes; a bad image is a 400 and an oversized body a 413', async () => {
  const ok = await fetch(`${base}/api/search`, {
    method: 'POST',
    headers: {...authed, 'content-type': 'image/jpeg'},
    body: new Uint8Array([0xff, 0xd8, 0xff]),
  });
  assert.equal(ok.status, 200);
  assert.equal(((await ok.json()) as {results: {file: string}[]}).results[0]?.file, 'b.png');
  const bad = await fetch(`${base}/api/search`, {
    method: 'POST',
    headers: {...authed, 'content-type': 'image/png'},
    body: new Uint8Array([1, 2, 3]),
  });
  assert.equal(bad.status, 400);
  assert.deepEqual(await bad.json(), {error: 'not an image'});
  const huge = await fetch(`${base}/api/search`, {
    method: 'POST',
    headers: {...authed, 'content-type': 'image/png'},
    body: new Uint8Array(4096),
  });
  assert.equal(huge.status, 413);
});

test('unknown ids, traversal attempts and unknown routes are JSON 4xx', async () => {
  assert.equal((await fetch(`${base}/api/images/7`, {headers: authed})).status, 404);
  assert.equal((await fetch(`${base}/api/images/..%2F..%2Fetc%2Fpasswd`, {headers: authed})).status, 400);
  assert.equal((await fetch(`${base}/api/search?id=9`, {headers: authed})).status, 400);
  const missing = await fetch(`${base}/nope`);
  assert.equal(missing.status, 404);
  assert.deepEqual(await missing.json(), {error: 'not found'});
});

test('the web page is served at /', async () => {
  const page = await fetch(`${base}/`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type') ?? '', /text\/html/);
  assert.match(await page.text(), /<input id="query"/);
});
