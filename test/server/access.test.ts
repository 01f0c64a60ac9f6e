/**
 * Who may reach what: the token is judged on the route the router chose (every spelling of a path), the Host
 * header must name this server (DNS rebinding), state-changing requests must come from the server's own origin,
 * and writes need a token even on loopback.
 */
import assert from 'node:assert/strict';
import {after, before, test} from 'node:test';
import type {FastifyInstance} from 'fastify';
import {buildServer} from '../../source/server/app.js';
import {type FakeBackend, fakeBackend} from './fake-backend.js';
import {multipartBody, rawRequest} from './raw-http.js';

let guarded: {server: FastifyInstance; base: string; backend: FakeBackend};
let open: {server: FastifyInstance; base: string; backend: FakeBackend};

before(async () => {
  const start = async (token?: string) => {
    const backend = fakeBackend();
    const server = await buildServer({backend, token, allowHosts: ['photos.example', '.lan.example']});
    return {server, backend, base: await server.listen({host: '127.0.0.1', port: 0})};
  };
  guarded = await start('sesame');
  open = await start(undefined);
});
after(async () => {
  await guarded.server.close();
  await open.server.close();
});

const upload = multipartBody([{name: 'x.jpg', data: new Uint8Array([0xff, 0xd8, 0xff])}]);

test('every spelling of a protected path is refused without the token', async () => {
  const spellings = [
    '/api/stats',
    '/%61pi/stats',
    '/api/%73tats',
    '/%61%70%69/%73%74%61%74%73',
    '//api/stats',
    '/api//stats',
    '/api/./stats',
    '/api/../api/stats',
    '/API/stats',
    '/api/stats/',
    '/api/stats?',
    '/api/stats#x',
    '/api/stats;x',
    '/api/search?q=cat',
    '/%61pi/search?q=cat',
    '/api/images/0',
    '/%61pi/images/0',
  ];
  for (const path of spellings) {
    for (const method of ['GET', 'HEAD']) {
      const response = await rawRequest(guarded.base, {method, path});
      assert.ok([401, 404].includes(response.status), `${method} ${path} answered ${response.status}`);
      assert.doesNotMatch(response.text, /fake|a\.jpg/, `${method} ${path} leaked data`);
    }
  }
  assert.equal((await rawRequest(guarded.base, {path: '/%61pi/stats'})).status, 401);
  for (const path of ['/%61pi/embed', '/api/%65mbed', '//api/embed', '/API/embed', '/api/embed/']) {
    const response = await rawRequest(guarded.base, {
      method: 'POST',
      path,
      headers: {'content-type': upload.contentType},
      body: upload.body,
    });
    assert.ok([401, 404].includes(response.status), `POST ${path} answered ${response.status}`);
  }
  assert.deepEqual(guarded.backend.calls, []);
  const ok = await rawRequest(guarded.base, {
    path: '/%61pi/stats',
    headers: {authorization: 'Bearer sesame'},
  });
  assert.equal(ok.status, 200);
});

test('?token= opens images only; a wrong or near token is refused', async () => {
  assert.equal((await rawRequest(guarded.base, {path: '/api/stats?token=sesame'})).status, 401);
  assert.equal((await rawRequest(guarded.base, {path: '/api/search?q=cat&token=sesame'})).status, 401);
  assert.equal((await rawRequest(guarded.base, {path: '/api/images/0?token=sesame'})).status, 404);
  assert.equal((await rawRequest(guarded.base, {path: '/api/images/0?token=sesam'})).status, 401);
  for (const header of ['Bearer sesam', 'Bearer sesame2', 'Bearer ', 'Basic sesame', 'sesame']) {
    const response = await rawRequest(guarded.base, {path: '/api/stats', headers: {authorization: header}});
    assert.equal(response.status, 401, header);
  }
  assert.equal((await rawRequest(guarded.base, {path: '/api/health'})).status, 200);
  assert.equal((await rawRequest(guarded.base, {path: '/'})).status, 200);
});

test('a Host header that does not name this server is refused (DNS rebinding)', async () => {
  const port = new URL(open.base).port;
  const refused = [
    'rebind.evil.example',
    `rebind.evil.example:${port}`,
    `localhost.evil.example:${port}`,
    `evil.example/@localhost:${port}`,
    `localhost@evil.example:${port}`,
    `photos.example.evil:${port}`,
    `lan.example.evil:${port}`,
    `127.0.0.1:${port}, evil.example`,
    `${'a'.repeat(300)}.example`,
  ];
  for (const host of refused) {
    for (const path of ['/api/stats', '/', '/api/health', '/nope']) {
      const response = await rawRequest(open.base, {path, headers: {host}});
      assert.equal(response.status, 403, `Host ${JSON.stringify(host)} ${path}`);
    }
  }
  const noHost = await rawRequest(open.base, {path: '/api/stats', setHost: false});
  assert.ok([400, 403].includes(noHost.status), `no Host header: ${noHost.status}`);
  const accepted = [
    `127.0.0.1:${port}`,
    `localhost:${port}`,
    `LOCALHOST:${port}`,
    `[::1]:${port}`,
    `app.localhost:${port}`,
    'localhost:9999', // a forwarded port (ssh -L, docker -p) keeps its name
    `photos.example:${port}`,
    `box.lan.example:${port}`,
    `192.168.1.20:${port}`,
  ];
  for (const host of accepted) {
    const response = await rawRequest(open.base, {path: '/api/stats', headers: {host}});
    assert.equal(response.status, 200, `Host ${host}`);
  }
});

test('cross-origin state-changing requests are refused; writes need a token even on loopback', async () => {
  guarded.backend.calls.length = 0;
  open.backend.calls.length = 0;
  const host = new URL(guarded.base).host;
  const post = (base: string, path: string, headers: Record<string, string>) =>
    rawRequest(base, {
      method: 'POST',
      path,
      headers: {'content-type': upload.contentType, ...headers},
      body: upload.body,
    });
  const foreign: Record<string, string>[] = [
    {origin: 'http://evil.example'},
    {origin: 'null'},
    {origin: `http://${host}.evil.example`},
    {origin: 'http://localhost:1'},
    {'sec-fetch-site': 'cross-site'},
    {'sec-fetch-site': 'same-site'},
    {origin: `http://${host}`, 'sec-fetch-site': 'cross-site'},
  ];
  for (const headers of foreign) {
    for (const target of [open, guarded]) {
      for (const path of ['/api/embed', '/api/search']) {
        const response = await post(target.base, path, {...headers, authorization: 'Bearer sesame'});
        assert.equal(response.status, 403, `${path} ${JSON.stringify(headers)}`);
      }
    }
  }
  assert.deepEqual([...open.backend.calls, ...guarded.backend.calls], []);

  const noToken = await post(open.base, '/api/embed', {origin: `http://${new URL(open.base).host}`});
  assert.equal(noToken.status, 403);
  assert.match(noToken.text, /--token/);
  assert.deepEqual(open.backend.calls, [], 'a server without a token takes no uploads');

  const sameOrigin = await post(guarded.base, '/api/embed', {
    origin: `http://${host}`,
    'sec-fetch-site': 'same-origin',
    authorization: 'Bearer sesame',
  });
  assert.equal(sameOrigin.status, 201);
  const scripted = await post(guarded.base, '/api/embed', {authorization: 'Bearer sesame'});
  assert.equal(scripted.status, 201, 'clients that send no Origin (curl) are not browsers');
});
