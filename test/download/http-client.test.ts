/**
 * The HTTP client against servers that close the connection after an answer (HTTP/1.0 mirrors such as Python's
 * http.server, `Connection: close`) while the body is not being read: undici 7 crashed the whole process there
 * (nodejs/undici#5360), so a regression fails this file by killing it.
 */
import assert from 'node:assert/strict';
import {once} from 'node:events';
import {createServer, type Server, type Socket} from 'node:net';
import {after, before, test} from 'node:test';
import {setTimeout as sleep} from 'node:timers/promises';
import {createHttpClient, HttpError} from '../../source/core/net/http.js';

// One read's worth: it fills the body's buffer (64 KiB), so the parser pauses on the last bytes of the answer.
const BODY = Buffer.alloc(64 * 1024, 0x61);

/** Raw answers by path, each followed by the end of the connection. */
const ANSWERS: Record<string, Buffer> = {
  '/whole': Buffer.concat([
    Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${BODY.length}\r\nConnection: close\r\n\r\n`),
    BODY,
  ]),
  '/http10': Buffer.concat([
    Buffer.from('HTTP/1.0 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n'),
    BODY,
  ]),
  '/cut': Buffer.concat([
    Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${2 * BODY.length}\r\nConnection: close\r\n\r\n`),
    BODY,
  ]),
};

let server: Server;
let origin: string;
const ended: Promise<unknown>[] = [];

before(async () => {
  server = createServer((socket: Socket) => {
    ended.push(once(socket, 'finish'));
    socket.once('data', (request) => {
      const path = /^GET (\S+)/.exec(request.toString('latin1'))?.[1] ?? '';
      if (path === '/reset') {
        // The whole answer, then a reset instead of an orderly end (a server that crashed, or a proxy).
        socket.write(ANSWERS['/whole'] ?? '', () => setTimeout(() => socket.resetAndDestroy(), 20));
        socket.once('close', () => socket.emit('finish'));
        return;
      }
      socket.end(ANSWERS[path] ?? 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

after(() => server.close());

/** Asks for `path`, then reads nothing until the server has closed the connection, then reads the body. */
async function readAfterServerClosed(path: string): Promise<number> {
  const client = createHttpClient();
  try {
    const response = await client.request(`${origin}${path}`);
    assert.equal(response.status, 200);
    await ended.at(-1);
    // Lets the client take in the end of the connection while its parser is paused by the unread body.
    await sleep(50);
    let bytes = 0;
    for await (const chunk of response.body) bytes += chunk.length;
    return bytes;
  } finally {
    await client.close();
  }
}

test('a whole body the server sent before closing is read in full, however late the reader', async () => {
  assert.equal(await readAfterServerClosed('/whole'), BODY.length);
});

test('an HTTP/1.0 body delimited by the end of the connection is read in full', async () => {
  assert.equal(await readAfterServerClosed('/http10'), BODY.length);
});

test('a connection reset after a whole answer is read in full or is a reset, never a crash', async () => {
  const outcome = await readAfterServerClosed('/reset').then(
    (bytes) => bytes,
    (error: unknown) => (error instanceof HttpError ? error.kind : String(error)),
  );
  assert.ok(outcome === BODY.length || outcome === 'reset', `outcome ${outcome}`);
});

test('a body cut short by the close is a reset, which callers retry', async () => {
  await assert.rejects(readAfterServerClosed('/cut'), (error: unknown) => {
    assert.ok(error instanceof HttpError, String(error));
    assert.equal(error.kind, 'reset');
    return true;
  });
});
