import assert from 'node:assert/strict';
import {rmSync, writeFileSync} from 'node:fs';
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {downloadImages} from '../../source/core/download/download-images.js';
import type {DownloadEvent} from '../../source/core/download/types.js';
import {type ImageServer, startImageServer} from '../helpers/image-server.js';
import {checkFolder, fastClock} from './check-folder.js';

let server: ImageServer;
let work: string;
before(async () => {
  server = await startImageServer({count: 16});
  work = await mkdtemp(join(tmpdir(), 'vc-download-'));
});
after(async () => {
  await server.close();
  await rm(work, {recursive: true, force: true});
});

// Short enough for a fast test, long enough that a loaded machine's normal answers never time out.
const shortTimeouts = {connectMs: 2000, headersMs: 1000, bodyIdleMs: 1000, attemptMs: 5000};

test('picsum-style random source: exactly the requested number of valid, distinct images', async () => {
  const imagesDir = join(work, 'picsum');
  const events: DownloadEvent[] = [];
  const report = await downloadImages({
    provider: 'picsum',
    picsumBaseUrl: server.origin,
    count: 10,
    width: 640,
    height: 480,
    workers: 4,
    imagesDir,
    onEvent: (event) => events.push(event),
  });
  assert.equal(report.kept, 10);
  assert.equal(report.total, 10);
  assert.equal(report.stopReason, 'complete');
  assert.equal(report.failed, 0);
  assert.equal(report.attempts, 10, 'no more requests than images: slots are reserved');
  assert.equal((await checkFolder(imagesDir)).length, 10);
  assert.equal(events[0]?.type, 'start');
  assert.equal(events.at(-1)?.type, 'done');
  assert.equal(events.filter((event) => event.type === 'kept').length, 10);
  const states = new Set(events.flatMap((event) => (event.type === 'worker' ? [event.state] : [])));
  for (const state of ['connecting', 'receiving', 'idle', 'done'])
    assert.ok(states.has(state as never), state);
});

test('every fault is retried or refused as designed, counted by reason, and nothing invalid is kept', async () => {
  const imagesDir = join(work, 'faults');
  const o = server.origin;
  const lines = [
    '# a comment, then a blank line',
    '',
    `${o}/image/0.jpg?fault=status:503&times=2`,
    `${o}/image/1.jpg?fault=status:429&retry-after=1&times=1`,
    `${o}/image/2.jpg?fault=status:404`,
    `${o}/image/3.jpg?fault=html`,
    `${o}/image/4.jpg?fault=content-type:text/html`,
    `${o}/image/5.jpg?fault=no-content-type`,
    `${o}/image/6.jpg?fault=truncate:1000&times=1`,
    `${o}/image/7.jpg?fault=reset&times=1`,
    `${o}/image/8.jpg?fault=huge:3000000`,
    `${o}/image/9.jpg?fault=redirect-loop`,
    `${o}/image/10.jpg?fault=slow-headers:5000&times=1`,
    `${o}/image/11.jpg?fault=stall:500&times=1`,
    `${o}/image/0.jpg?same-bytes-as-image-0`,
    `${o}/image/12.jpg?fault=status:500`,
    `${o}/image/13.jpg?fault=cut:5000`,
    `${o}/image/14.jpg?fault=status:403`,
    `${o}/image/15.jpg?fault=redirect:2`,
    'ftp://example.invalid/x.jpg',
  ];
  const urlsFile = join(work, 'faults.txt');
  await writeFile(urlsFile, `${lines.join('\n')}\n`);
  const {clock, sleeps} = fastClock();
  const events: DownloadEvent[] = [];
  const report = await downloadImages({
    provider: 'urls',
    urlsFile,
    count: 100,
    workers: 3,
    imagesDir,
    maxBytes: 1_000_000,
    maxRedirects: 3,
    timeouts: shortTimeouts,
    clock,
    onEvent: (event) => events.push(event),
  });
  assert.equal(report.stopReason, 'exhausted');
  assert.equal(report.kept, 9);
  assert.equal(report.duplicates, 1);
  assert.deepEqual(report.failedByReason, {
    'not-found': 1,
    'html-page': 1,
    'too-large': 1,
    redirect: 1,
    'http-server-error': 1,
    truncated: 1,
    forbidden: 1,
    'bad-url': 1,
  });
  assert.equal(report.failed, 8);
  assert.deepEqual(report.retriesByReason, {
    'http-server-error': 5, // 503 ×2, then 500 ×3
    'rate-limited': 1,
    truncated: 4, // Content-Length cut ×1, missing end marker ×3
    reset: 1,
    timeout: 2,
  });
  assert.equal(report.retries, 13);
  assert.equal(report.attempts, 18 + report.retries, 'one attempt per URL plus one per retry');
  assert.ok(sleeps.includes(1000), 'Retry-After: 1 was honoured');
  assert.equal(events.filter((event) => event.type === 'failed').length, 8);

  const hits = (path: string) =>
    [...server.hits].filter(([url]) => url.startsWith(path)).reduce((n, [, k]) => n + k, 0);
  assert.equal(hits('/image/2.jpg'), 1, '404 is not retried');
  assert.equal(hits('/image/3.jpg'), 1, 'an HTML page is not retried');
  assert.equal(hits('/image/14.jpg'), 1, '403 is not retried');
  assert.equal(hits('/image/8.jpg'), 1, 'an oversized body is not retried');
  assert.equal(hits('/image/9.jpg'), 4, 'a redirect loop stops after 3 redirects');
  assert.equal(hits('/image/12.jpg'), 4, 'a persistent 500 gets 3 retries');

  const entries = await checkFolder(imagesDir);
  const keptImages = entries
    .map((entry) => Number(/image\/(\d+)/.exec(entry.url ?? '')?.[1]))
    .sort((a, b) => a - b);
  assert.deepEqual(keptImages, [0, 1, 4, 5, 6, 7, 10, 11, 15]);
});

test('Retry-After: -5 on a 503 waits the backoff before each retry, not nothing', async () => {
  const imagesDir = join(work, 'negative-retry-after');
  const urls = join(work, 'negative-retry-after.txt');
  await writeFile(urls, `${server.origin}/image/5.jpg?fault=status:503&retry-after=-5&times=3\n`);
  const {clock, sleeps} = fastClock();
  const report = await downloadImages({provider: 'urls', urlsFile: urls, count: 1, imagesDir, clock});
  assert.equal(report.kept, 1);
  // The default policy's backoff with the jitter at its middle: 375, 750, 1500 ms.
  assert.deepEqual(sleeps, [375, 750, 1500]);
});

test('budgets bound the run: attempts and seconds', async () => {
  const failing = await startImageServer({count: 4, plan: () => 'status:500'});
  try {
    const {clock} = fastClock();
    const report = await downloadImages({
      provider: 'picsum',
      picsumBaseUrl: failing.origin,
      count: 5,
      workers: 2,
      imagesDir: join(work, 'attempt-budget'),
      maxAttempts: 7,
      clock,
    });
    assert.equal(report.stopReason, 'attempt-budget');
    assert.equal(report.attempts, 7);
    assert.equal(failing.totalHits(), 7);
    assert.equal(report.kept, 0);
  } finally {
    await failing.close();
  }

  const slow = await startImageServer({count: 4, plan: () => 'slow-headers:20000'});
  try {
    const started = performance.now();
    const imagesDir = join(work, 'time-budget');
    const report = await downloadImages({
      provider: 'picsum',
      picsumBaseUrl: slow.origin,
      count: 5,
      workers: 2,
      imagesDir,
      maxSeconds: 0.5,
    });
    const seconds = (performance.now() - started) / 1000;
    assert.equal(report.stopReason, 'time-budget');
    assert.equal(report.interrupted, false);
    assert.ok(seconds < 5, `stopped after ${seconds.toFixed(2)} s`);
    assert.equal((await checkFolder(imagesDir)).length, 0);
  } finally {
    await slow.close();
  }
});

test('a slowly arriving body reports growing progress with a speed', async () => {
  const slow = await startImageServer({count: 1, plan: () => 'slow-body:400'});
  try {
    const events: DownloadEvent[] = [];
    const report = await downloadImages({
      provider: 'urls',
      urlsFile: await writeList(join(work, 'slow.txt'), slow.urls),
      count: 1,
      imagesDir: join(work, 'slow'),
      progressIntervalMs: 0,
      onEvent: (event) => events.push(event),
    });
    assert.equal(report.kept, 1);
    const progress = events.flatMap((event) =>
      event.type === 'worker' && event.state === 'receiving' ? [event] : [],
    );
    assert.ok(progress.length >= 8, `${progress.length} progress events`);
    const received = progress.map((event) => event.bytesReceived);
    assert.deepEqual(
      received,
      [...received].sort((a, b) => a - b),
      'bytes only grow',
    );
    assert.equal(progress.at(-1)?.bytesReceived, slow.images[0]?.length);
    assert.ok((progress.at(-1)?.speed ?? 0) > 0);
  } finally {
    await slow.close();
  }
});

test('byte-progress events are throttled per worker', async () => {
  const big = await startImageServer({count: 2, padToBytes: 3_000_000});
  try {
    const events: DownloadEvent[] = [];
    const report = await downloadImages({
      provider: 'urls',
      urlsFile: await writeList(join(work, 'big.txt'), big.urls),
      count: 2,
      workers: 1,
      imagesDir: join(work, 'big'),
      progressIntervalMs: 1_000_000,
      onEvent: (event) => events.push(event),
    });
    assert.equal(report.kept, 2);
    const receiving = events.filter((event) => event.type === 'worker' && event.state === 'receiving');
    // One when the body starts and one when it completes, per image; the 3 MB arrive in dozens of chunks.
    assert.ok(receiving.length <= 4, `${receiving.length} receiving events`);
    const last = receiving.at(-1);
    assert.ok(
      last?.type === 'worker' && last.bytesReceived === last.bytesTotal && last.bytesReceived >= 3_000_000,
    );
  } finally {
    await big.close();
  }
});

test('the pixel limit rejects images whose header is too large', async () => {
  const {clock} = fastClock();
  const report = await downloadImages({
    provider: 'urls',
    urlsFile: await writeList(join(work, 'pixels.txt'), server.urls.slice(0, 2)),
    count: 2,
    imagesDir: join(work, 'pixels'),
    pixelLimit: 1000,
    clock,
  });
  assert.deepEqual(report.failedByReason, {'too-many-pixels': 2});
  assert.equal(report.kept, 0);
});

async function writeList(path: string, urls: string[]): Promise<string> {
  await writeFile(path, `${urls.join('\n')}\n`);
  return path;
}

test('a write failure the user can fix (the folder replaced by a file mid-run) stops the run as a UserError', async () => {
  const imagesDir = join(work, 'replaced');
  let replaced = false;
  await assert.rejects(
    downloadImages({
      provider: 'custom',
      urlTemplate: `${server.origin}/image/{index}.jpg`,
      count: 10,
      workers: 1,
      imagesDir,
      sleepOkSeconds: 0,
      onEvent: (event) => {
        if (event.type === 'kept' && !replaced) {
          replaced = true;
          rmSync(imagesDir, {recursive: true, force: true});
          writeFileSync(imagesDir, 'in the way');
        }
      },
    }),
    (error: Error & {hint?: string}) => {
      assert.equal(error.name, 'UserError');
      assert.match(
        error.message,
        /cannot write the outputs in .*replaced: a part of the path is a file \(ENOTDIR\)/,
      );
      assert.match(error.hint ?? '', /writable output folder/);
      return true;
    },
  );
  assert.ok(replaced);
});
