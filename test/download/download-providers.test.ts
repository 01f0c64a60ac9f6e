import assert from 'node:assert/strict';
import {mkdtemp, readdir, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {downloadImages} from '../../source/core/download/download-images.js';
import {fillTemplate, seedFor} from '../../source/core/download/providers.js';
import {UserError} from '../../source/core/errors.js';
import {FIXTURE_IMAGES_DIR, type ImageServer, startImageServer} from '../helpers/image-server.js';
import {checkFolder} from './check-folder.js';

let server: ImageServer;
let work: string;
before(async () => {
  server = await startImageServer({count: 6, unsplashKey: 'test-key'});
  work = await mkdtemp(join(tmpdir(), 'vc-providers-'));
});
after(async () => {
  await server.close();
  await rm(work, {recursive: true, force: true});
});

test('unsplash: photos from the official API, each kept photo reported to its download_location', async () => {
  const imagesDir = join(work, 'unsplash');
  const report = await downloadImages({
    provider: 'unsplash',
    unsplashApiUrl: server.origin,
    unsplashAccessKey: 'test-key',
    count: 4,
    width: 320,
    height: 200,
    workers: 2,
    imagesDir,
  });
  assert.equal(report.kept, 4);
  assert.equal(server.hitsUnder('/photos/random?count=30'), 1, 'one API call serves 30 photos');
  assert.equal(server.hitsUnder('/track/'), 4);
  const entries = await checkFolder(imagesDir);
  for (const entry of entries) {
    const url = new URL(entry.url ?? '');
    assert.deepEqual(
      [url.searchParams.get('w'), url.searchParams.get('h'), url.searchParams.get('fit')],
      ['320', '200', 'crop'],
    );
    assert.equal(entry.provider, 'unsplash');
  }
});

test('unsplash: a missing or rejected key is a UserError that names the fix', async () => {
  const missing = downloadImages({
    provider: 'unsplash',
    unsplashApiUrl: server.origin,
    count: 1,
    imagesDir: join(work, 'u2'),
  });
  await assert.rejects(
    missing,
    (error) => error instanceof UserError && /UNSPLASH_ACCESS_KEY/.test(error.hint ?? ''),
  );
  const rejected = downloadImages({
    provider: 'unsplash',
    unsplashApiUrl: server.origin,
    unsplashAccessKey: 'wrong',
    count: 1,
    imagesDir: join(work, 'u3'),
  });
  await assert.rejects(rejected, (error) => error instanceof UserError && /401/.test(error.message));
});

test('picsum by id and by seed: deterministic URLs, unknown ids fail as not-found without retries', async () => {
  const byId = await downloadImages({
    provider: 'picsum',
    picsumBaseUrl: server.origin,
    picsumIds: [0, 2, 99, 4],
    count: 10,
    width: 200,
    height: 100,
    imagesDir: join(work, 'ids'),
  });
  assert.equal(byId.kept, 3);
  assert.deepEqual(byId.failedByReason, {'not-found': 1});
  assert.equal(byId.attempts, 4);
  assert.equal(byId.stopReason, 'exhausted');
  const urls = (await checkFolder(join(work, 'ids'))).map((entry) => entry.url).sort();
  assert.deepEqual(
    urls,
    [0, 2, 4].map((id) => `${server.origin}/id/${id}/200/100`),
  );

  const bySeed = await downloadImages({
    provider: 'picsum',
    picsumBaseUrl: server.origin,
    seed: 'abc',
    count: 2,
    width: 64,
    height: 48,
    workers: 1,
    imagesDir: join(work, 'seed'),
  });
  assert.equal(bySeed.kept, 2);
  assert.ok(
    (await checkFolder(join(work, 'seed'))).every((entry) =>
      entry.url?.startsWith(`${server.origin}/seed/abc-`),
    ),
  );
});

test('custom templates fill every placeholder; {seed} is stable per (seed, index)', () => {
  assert.equal(
    fillTemplate('https://h/{width}x{height}/{index}?s={seed}', {width: 3, height: 4, index: 5, seed: 'a b'}),
    'https://h/3x4/5?s=a%20b',
  );
  assert.equal(seedFor('x', 1), seedFor('x', 1));
  assert.notEqual(seedFor('x', 1), seedFor('x', 2));
});

test('bad provider settings are UserErrors before anything is downloaded', async () => {
  const imagesDir = join(work, 'never');
  const cases: Array<[Parameters<typeof downloadImages>[0], RegExp]> = [
    [
      {provider: 'custom', urlTemplate: 'https://h/{size}', count: 1, imagesDir},
      /unknown placeholder \{size\}/,
    ],
    [{provider: 'custom', urlTemplate: 'ftp://h/{index}', count: 1, imagesDir}, /not an http\(s\) URL/],
    [{provider: 'custom', count: 1, imagesDir}, /needs a URL template/],
    [
      {provider: 'urls', urlsFile: join(work, 'missing.txt'), count: 1, imagesDir},
      /cannot read the URL list/,
    ],
    [{provider: 'local', sourceDir: join(work, 'nope'), count: 1, imagesDir}, /is not a folder/],
    [{provider: 'picsum', count: -1, imagesDir}, /--count must be a whole number/],
    [{provider: 'picsum', count: 1, workers: 0, imagesDir}, /--workers/],
    [
      {provider: 'picsum', count: 1, minBytes: 10, maxBytes: 5, imagesDir},
      /--min-bytes 10 is over --max-bytes 5/,
    ],
    [{provider: 'picsum', picsumBaseUrl: 'file:///etc', count: 1, imagesDir}, /not an http\(s\) base URL/],
    [{provider: 'picsum', count: 1, imagesDir: '/proc/version/images'}, /cannot create the output folder/],
  ];
  for (const [options, message] of cases) {
    await assert.rejects(
      downloadImages(options),
      (error) => error instanceof UserError && message.test(error.message),
    );
  }
  await assert.rejects(readdir(imagesDir), 'no output folder was created');
});

test('local: a folder is ingested by copying, with the same validation and de-duplication', async () => {
  const imagesDir = join(work, 'local');
  const report = await downloadImages({
    provider: 'local',
    sourceDir: FIXTURE_IMAGES_DIR,
    count: 20,
    imagesDir,
  });
  assert.equal(report.kept, 8);
  assert.equal(report.stopReason, 'exhausted');
  const entries = await checkFolder(imagesDir);
  const extensions = entries.map((entry) => entry.name.split('.')[1]).sort();
  assert.deepEqual(
    extensions,
    ['jpg', 'jpg', 'jpg', 'png', 'png', 'png', 'png', 'webp'],
    'extension from the bytes',
  );
  assert.ok(entries.every((entry) => entry.url?.startsWith('file://')));
  const again = await downloadImages({
    provider: 'local',
    sourceDir: FIXTURE_IMAGES_DIR,
    count: 20,
    imagesDir,
  });
  assert.equal(again.attempts, 0, 'files already ingested are not read again');
  assert.equal(again.alreadyPresent, 8);
});
