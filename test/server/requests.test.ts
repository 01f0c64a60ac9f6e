/**
 * What a client may send: no server-side paths in queries, strict numbers, one value per parameter, well-formed
 * multipart within bounded sizes, a bounded number of uploads in flight; and every 500 is logged, never shown.
 */
import assert from 'node:assert/strict';
import {request} from 'node:http';
import {after, before, beforeEach, test} from 'node:test';
import type {FastifyInstance} from 'fastify';
import {buildServer} from '../../source/server/app.js';
import {type FakeBackend, fakeBackend} from './fake-backend.js';
import {multipartBody, rawRequest} from './raw-http.js';

let server: FastifyInstance;
let base: string;
let backend: FakeBackend;
const logged: string[] = [];
const auth = {authorization: 'Bearer sesame'};

before(async () => {
  backend = fakeBackend();
  server = await buildServer({
    backend,
    token: 'sesame',
    maxK: 50,
    maxUploadBytes: 1024,
    maxRequestBytes: 2048,
    maxUploadFiles: 4,
    maxConcurrentUploads: 2,
    logError: (line) => logged.push(line),
  });
  base = await server.listen({host: '127.0.0.1', port: 0});
});
after(() => server.close());
beforeEach(() => {
  backend.calls.length = 0;
});

const get = (path: string) => rawRequest(base, {path, headers: auth});
const embed = (body: Buffer, contentType: string) =>
  rawRequest(base, {
    method: 'POST',
    path: '/api/embed',
    headers: {...auth, 'content-type': contentType},
    body,
  });

test('image: terms are refused over HTTP before anything reads a file', async () => {
  const queries = [
    'image:/dev/zero',
    'IMAGE:/etc/shadow',
    'Image:/tmp',
    '"beach" + image:/dev/zero',
    'a cat - image:../../etc/passwd',
    '0.5*image:"/dev/zero"',
    '"x" + 2*image:/dev/zero',
  ];
  for (const q of queries) {
    const response = await get(`/api/search?q=${encodeURIComponent(q)}`);
    assert.equal(response.status, 400, q);
    assert.match(JSON.parse(response.text).error, /POST .*\/api\/search.*id:N/s, q);
  }
  assert.deepEqual(backend.calls, []);
  const words = await get(`/api/search?q=${encodeURIComponent('"image of a cat" + id:1')}`);
  assert.equal(words.status, 200, 'text that mentions images and id: terms still work');
  const long = await get(`/api/search?q=${'a'.repeat(1001)}`);
  assert.equal(long.status, 400);
  const many = await get(`/api/search?q=${encodeURIComponent(Array(17).fill('"a"').join(' + '))}`);
  assert.equal(many.status, 400);
  assert.match(JSON.parse(many.text).error, /terms/);
});

test('ids and k are whole numbers written plainly; anything else is a 400', async () => {
  for (const bad of [
    '',
    '0x10',
    '1e2',
    '0b11',
    '1.0',
    '+1',
    '-1',
    ' 1',
    '1 ',
    '01',
    '٣',
    '9007199254740993',
  ]) {
    const value = encodeURIComponent(bad);
    assert.equal((await get(`/api/search?q=cat&k=${value}`)).status, 400, `k=${JSON.stringify(bad)}`);
    assert.equal((await get(`/api/search?id=${value}`)).status, 400, `id=${JSON.stringify(bad)}`);
    const image = (await get(`/api/images/${value}`)).status;
    assert.ok(image === 400 || (bad === '' && image === 404), `image ${bad}: ${image}`);
  }
  assert.equal((await get('/api/search?q=cat&k=51')).status, 400);
  assert.equal((await get('/api/search?q=cat&k=0')).status, 400);
  assert.equal((await get('/api/search?id=0&k=50')).status, 200);
  assert.ok(backend.calls.includes('id:0:50'));
});

test('a repeated parameter, or q and id together, is a 400 that names it', async () => {
  for (const path of ['/api/search?q=a&q=b', '/api/search?q=a&k=1&k=2', '/api/search?id=1&id=2']) {
    const response = await get(path);
    assert.equal(response.status, 400, path);
    assert.match(JSON.parse(response.text).error, /once/);
  }
  assert.equal((await get('/api/search?q=a&id=1')).status, 400);
  assert.equal((await get('/api/images/0?token=sesame&token=x')).status, 400);
});

test('malformed multipart bodies are 400s, not 500s', async () => {
  const good = multipartBody([{name: 'a.jpg', data: new Uint8Array(10)}]);
  const malformed: [Buffer, string][] = [
    [good.body.subarray(0, good.body.length - 30), good.contentType],
    [good.body, 'multipart/form-data'],
    [good.body, 'multipart/form-data; boundary=other'],
    [
      Buffer.from('--vc-test-boundary\r\nno headers here\r\n\r\nbody\r\n--vc-test-boundary--\r\n'),
      good.contentType,
    ],
    [Buffer.from('--vc-test-boundary\r\n'), good.contentType],
  ];
  for (const [body, type] of malformed) {
    const response = await embed(body, type);
    assert.equal(response.status, 400, `${type}: ${body.toString('latin1').slice(0, 60)}`);
    assert.ok(JSON.parse(response.text).error);
  }
  assert.equal((await embed(Buffer.from('{}'), 'application/json')).status, 415);
  assert.deepEqual(logged, []);
});

test('upload sizes are bounded per file, per request and in number', async () => {
  const file = (size: number, name = 'a.jpg') => ({name, data: new Uint8Array(size)});
  const perRequest = multipartBody([file(1000), file(1000), file(1000)]);
  assert.equal((await embed(perRequest.body, perRequest.contentType)).status, 413);
  const perFile = multipartBody([file(1025)]);
  assert.equal((await embed(perFile.body, perFile.contentType)).status, 413);
  const count = multipartBody([file(1), file(1), file(1), file(1), file(1)]);
  assert.equal((await embed(count.body, count.contentType)).status, 413);
  const image = await rawRequest(base, {
    method: 'POST',
    path: '/api/search',
    headers: {...auth, 'content-type': 'image/jpeg'},
    body: new Uint8Array(1025),
  });
  assert.equal(image.status, 413);
  assert.deepEqual(backend.calls, [] as string[], 'nothing oversized reached the backend');
  const fits = multipartBody([file(1000), file(1000)]);
  assert.equal((await embed(fits.body, fits.contentType)).status, 201);
  assert.ok(backend.calls.includes('embed:1000,1000'));
});

test('an endless upload is cut off: the server answers 413 and closes the connection', async () => {
  const head = Buffer.from(
    '--b\r\nContent-Disposition: form-data; name="files"; filename="big.jpg"\r\n\r\n',
    'latin1',
  );
  const total = 256 * 1024 * 1024;
  const outcome = await new Promise<{status?: number; end: string; sent: number}>((resolve) => {
    let sent = 0;
    let status: number | undefined;
    const done = (end: string) => {
      clearTimeout(stall);
      outgoing.destroy();
      resolve({status, end, sent});
    };
    // A server that neither reads nor closes leaves the client stalled: that is a failure too.
    const stall = setTimeout(() => done('stalled'), 10_000);
    const outgoing = request(`${base}/api/embed`, {
      method: 'POST',
      headers: {...auth, 'content-type': 'multipart/form-data; boundary=b', 'transfer-encoding': 'chunked'},
    });
    outgoing.on('response', (response) => {
      status = response.statusCode;
      response.resume();
    });
    outgoing.on('error', (error: NodeJS.ErrnoException) => done(error.code ?? 'error'));
    outgoing.on('close', () => done('closed'));
    const chunk = Buffer.alloc(64 * 1024);
    const pump = () => {
      while (sent < total) {
        sent += chunk.length;
        if (!outgoing.write(chunk)) return void outgoing.once('drain', pump);
      }
      done('sent everything');
    };
    outgoing.write(head);
    pump();
  });
  assert.ok(['ECONNRESET', 'EPIPE', 'closed'].includes(outcome.end), `the upload ended: ${outcome.end}`);
  assert.ok(
    outcome.sent < 64 * 1024 * 1024,
    `the server took ${outcome.sent} bytes of a 2 KB-limited upload`,
  );
  assert.ok(outcome.status === 413 || outcome.status === undefined, `answered ${outcome.status}`);
});

test('uploads in flight are bounded: the one over the limit gets a 503', async () => {
  let release = () => {};
  backend.holdUploads = new Promise((resolve) => {
    release = resolve;
  });
  const one = multipartBody([{name: 'a.jpg', data: new Uint8Array(5)}]);
  const held = [embed(one.body, one.contentType), embed(one.body, one.contentType)];
  try {
    while (backend.calls.filter((call) => call === 'embed:5').length < 2)
      await new Promise((resolve) => setTimeout(resolve, 5));
    const third = await Promise.race([
      embed(one.body, one.contentType),
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 5000)),
    ]);
    assert.equal(third?.status, 503, 'the third upload is answered at once');
    assert.ok(third.headers['retry-after']);
  } finally {
    release();
    backend.holdUploads = undefined;
  }
  assert.deepEqual(
    (await Promise.all(held)).map((response) => response.status),
    [201, 201],
  );
  assert.equal((await embed(one.body, one.contentType)).status, 201, 'slots are given back');
});

test('a 500 is logged with its stack and answered without one', async () => {
  const response = await get('/api/search?q=crash');
  assert.equal(response.status, 500);
  assert.deepEqual(JSON.parse(response.text), {error: 'internal error'});
  assert.equal(logged.length, 1);
  assert.match(logged[0]!, /GET \/api\/search/);
  assert.match(logged[0]!, /TypeError: the fake backend crashed on purpose\n\s+at /);
  assert.doesNotMatch(logged[0]!, /sesame/);
});
