import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {closeSync, constants, openSync} from 'node:fs';
import {cp, mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import type {FastifyInstance} from 'fastify';
import {openEmbeddingCache} from '../../source/core/cache/embedding-cache.js';
import {openCollection} from '../../source/core/collection/reader.js';
import {openCollectionWriter} from '../../source/core/collection/writer.js';
import {embedImages} from '../../source/core/embed/embed-images.js';
import {encodeFloat32Matrix, encodeUnicodeArray} from '../../source/core/npy.js';
import {buildServer} from '../../source/server/app.js';
import {openCollectionBackend} from '../../source/server/collection-backend.js';
import {fixtureImages, tinyClip} from '../embed/helpers.js';
import {launchChromium} from '../helpers/chromium.js';

interface Hit {
  rank: number;
  id: number;
  file: string;
  score: number;
}

let root: string;
let server: FastifyInstance;
let base: string;
// Uploads need a token even on loopback; the web UI takes it from the URL fragment.
const token = 'collection-test-token';
const auth = {authorization: `Bearer ${token}`};

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'vc-serve-'));
  await cp(fixtureImages, join(root, 'images'), {recursive: true});
  await writeFile(join(root, 'secret.txt'), 'not for clients');
  await embedImages({
    imagesDir: join(root, 'images'),
    embeddingsDir: join(root, 'embeddings'),
    model: tinyClip,
    modelsDir: join(root, 'models'),
    dtype: 'fp32',
    device: 'cpu',
    batchSize: 8,
  });
  const backend = await openCollectionBackend({
    embeddingsDir: join(root, 'embeddings'),
    modelsDir: join(root, 'models'),
    cache: openEmbeddingCache(join(root, 'cache.sqlite')),
  });
  server = await buildServer({backend, token});
  base = await server.listen({host: '127.0.0.1', port: 0});
});

after(async () => {
  await server.close();
  await rm(root, {recursive: true, force: true});
});

async function getJson<T>(path: string, init?: RequestInit): Promise<{status: number; body: T}> {
  const response = await fetch(`${base}${path}`, {...init, headers: {...auth, ...init?.headers}});
  return {status: response.status, body: (await response.json()) as T};
}

test('stats and text search over a real embed run', async () => {
  const stats = await getJson<{count: number; dims: number; dtype: string}>('/api/stats');
  assert.deepEqual([stats.body.count, stats.body.dims, stats.body.dtype], [8, 512, 'fp32']);
  const {status, body} = await getJson<{results: Hit[]}>('/api/search?q=a%20photo%20of%20a%20dog&k=5');
  assert.equal(status, 200);
  assert.equal(body.results.length, 5);
  assert.deepEqual(Object.keys(body.results[0]!).sort(), ['file', 'id', 'rank', 'score']);
  assert.deepEqual(
    body.results.map((hit) => hit.rank),
    [1, 2, 3, 4, 5],
  );
  for (let i = 1; i < body.results.length; i++)
    assert.ok(body.results[i - 1]!.score >= body.results[i]!.score);
});

test('query by example finds the same image first; a bad image is a 400', async () => {
  const bytes = await readFile(join(fixtureImages, 'photo_640x480.jpg'));
  const {status, body} = await getJson<{results: Hit[]}>('/api/search?k=3', {
    method: 'POST',
    headers: {'content-type': 'image/jpeg'},
    body: bytes,
  });
  assert.equal(status, 200);
  assert.equal(body.results[0]?.file, 'photo_640x480.jpg');
  assert.ok(body.results[0]!.score > 0.9999);
  const bad = await getJson<{error: string}>('/api/search', {
    method: 'POST',
    headers: {'content-type': 'image/png'},
    body: new TextEncoder().encode('<html>not an image</html>'),
  });
  assert.equal(bad.status, 400);
  assert.match(bad.body.error, /image/);
});

test('image: paths in a query never reach the file system over HTTP (a FIFO would block a reader)', async () => {
  const fifo = join(root, 'query.fifo');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  const image = join(fixtureImages, 'square_224.png');
  try {
    for (const q of [
      `image:${fifo}`,
      `"a dog" + 0.5*IMAGE:"${fifo}"`,
      `image:${image}`,
      `- image:${image}`,
    ]) {
      const response = await fetch(`${base}/api/search?q=${encodeURIComponent(q)}`, {
        headers: auth,
        signal: AbortSignal.timeout(5000),
      });
      assert.equal(response.status, 400, q);
      assert.match(((await response.json()) as {error: string}).error, /POST the image.*id:N/);
    }
  } finally {
    // Code that did open the FIFO is blocked in open(); a writer end releases it so the test can end.
    try {
      closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
    } catch {}
  }
});

test('images are served from the dataset folder only', async () => {
  const {body} = await getJson<{results: Hit[]}>('/api/search?q=square&k=8');
  const square = body.results.find((hit) => hit.file === 'square_224.png')!;
  const image = await fetch(`${base}/api/images/${square.id}`, {headers: auth});
  assert.equal(image.status, 200);
  assert.equal(image.headers.get('content-type'), 'image/png');
  assert.deepEqual(
    Buffer.from(await image.arrayBuffer()),
    await readFile(join(fixtureImages, 'square_224.png')),
  );
  assert.equal((await fetch(`${base}/api/images/99`, {headers: auth})).status, 404);
});

test('a filenames list that points outside the dataset is refused', async () => {
  const source = await openCollection(join(root, 'embeddings'));
  const row = source.matrix.data.slice(0, source.matrix.dims);
  // A collection whose shard names a file outside the images folder (made through the writer, as a tool could).
  const dir = join(root, 'escape');
  const writer = await openCollectionWriter({embeddingsDir: dir});
  await writer.bind({
    imagesDir: source.header.images_dir,
    model: source.header.model,
    dims: source.matrix.dims,
  });
  await writer.append({
    rows: [row],
    filenames: ['../secret.txt'],
    images: [{sha256: '0', bytes: 1, mtime_ms: 0}],
  });
  await writer.commit();
  await writer.close();
  // And a folder of plain outputs, as earlier versions wrote them.
  const plain = join(root, 'escape-plain');
  await mkdir(plain);
  await writeFile(join(plain, 'image_embeddings.npy'), encodeFloat32Matrix(row, 1, source.matrix.dims));
  await writeFile(join(plain, 'image_filenames.npy'), encodeUnicodeArray(['../secret.txt']));
  await writeFile(
    join(plain, 'metadata.json'),
    JSON.stringify({model: source.header.model, input_dir: source.header.images_dir}),
  );
  for (const folder of [dir, plain]) {
    const backend = await openCollectionBackend({embeddingsDir: folder, modelsDir: join(root, 'models')});
    try {
      assert.equal(backend.stats().count, 1);
      assert.equal(await backend.imagePath(0), undefined);
    } finally {
      await backend.close();
    }
  }
});

test('uploads are embedded into the collection and become searchable', async () => {
  const original = await readFile(join(fixtureImages, 'tiny_50x40.png'));
  const form = new FormData();
  form.append('files', new Blob([original], {type: 'image/png'}), 'again.png');
  form.append('files', new Blob([new TextEncoder().encode('garbage')]), 'broken.jpg');
  const {status, body} = await getJson<{added: {id: number; file: string}[]; failed: {file: string}[]}>(
    '/api/embed',
    {method: 'POST', body: form},
  );
  assert.equal(status, 201);
  assert.equal(body.added.length, 1);
  assert.equal(body.added[0]!.id, 8);
  assert.match(body.added[0]!.file, /^uploads\/[0-9a-f]{24}\.png$/);
  assert.deepEqual(
    body.failed.map((failure) => failure.file),
    ['broken.jpg'],
  );
  const stats = await getJson<{count: number}>('/api/stats');
  assert.equal(stats.body.count, 9);
  // One shard more on disk; the merged view is rebuilt when the server closes.
  const stored = await openCollection(join(root, 'embeddings'));
  assert.equal(stored.files.length, 9);
  assert.equal(stored.files[8], body.added[0]!.file);
  const similar = await getJson<{results: Hit[]}>('/api/search?id=8&k=2');
  assert.deepEqual(
    similar.body.results.map((hit) => hit.score > 0.9999),
    [true, true],
    'the upload and the original are the same picture',
  );
});

test('the web UI searches, shows scores and searches by a clicked result (headless Chromium)', async (t) => {
  const browser = await launchChromium(t);
  if (!browser) return;
  try {
    const page = await browser.newPage();
    await page.goto(`${base}/#token=${token}`);
    await page.waitForFunction("document.getElementById('stats')?.textContent?.includes('images')");
    await page.fill('#query', 'a photo');
    await page.press('#query', 'Enter');
    await page.waitForSelector('figure');
    assert.ok((await page.locator('figure').count()) >= 8);
    assert.match((await page.locator('.score').first().textContent()) ?? '', /^-?\d\.\d{4}$/);
    const clicked = (await page.locator('figure').nth(2).getAttribute('data-id'))!;
    await page.locator('figure').nth(2).click();
    await page.waitForFunction("document.getElementById('status')?.textContent?.includes('images like')");
    assert.equal(await page.locator('figure').first().getAttribute('data-id'), clicked);
    const loaded = await page
      .locator('figure img')
      .first()
      .evaluate((img) => (img as unknown as {naturalWidth: number}).naturalWidth);
    assert.ok(loaded > 0, 'result thumbnails load from /api/images');
  } finally {
    await browser.close();
  }
});
