import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import {cp, mkdtemp, readFile, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import type {FastifyInstance} from 'fastify';
import sharp from 'sharp';
import {readManifest} from '../../source/core/collection/manifest.js';
import {openCollection} from '../../source/core/collection/reader.js';
import {openCollectionWriter} from '../../source/core/collection/writer.js';
import {embedImages} from '../../source/core/embed/embed-images.js';
import {buildServer} from '../../source/server/app.js';
import {openCollectionBackend} from '../../source/server/collection-backend.js';
import {fixtureImages, tinyClip} from '../embed/helpers.js';
import {imageFacts, leftovers, unitRows} from './helpers.js';

let root: string;
let embeddings: string;
let server: FastifyInstance;
let base: string;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'vc-serve-append-'));
  embeddings = join(root, 'embeddings');
  await cp(fixtureImages, join(root, 'images'), {recursive: true});
  await embedImages({
    imagesDir: join(root, 'images'),
    embeddingsDir: embeddings,
    model: tinyClip,
    modelsDir: join(root, 'models'),
    dtype: 'fp32',
    device: 'cpu',
    batchSize: 8,
    shardSize: 4,
  });
  const backend = await openCollectionBackend({embeddingsDir: embeddings, modelsDir: join(root, 'models')});
  // Uploads need a token; six at once are allowed here (the default holds two and answers 503 beyond).
  server = await buildServer({backend, token: TOKEN, maxConcurrentUploads: 8});
  base = await server.listen({host: '127.0.0.1', port: 0});
});

after(async () => {
  await server?.close();
  await rm(root, {recursive: true, force: true});
});

const TOKEN = 'append-test-token';
const auth = {headers: {authorization: `Bearer ${TOKEN}`}};

/** A distinct small PNG per index. */
function picture(index: number): Promise<Buffer> {
  return sharp({
    create: {
      width: 24,
      height: 16,
      channels: 3,
      background: {r: (index * 37) % 256, g: (index * 91) % 256, b: index},
    },
  })
    .png()
    .toBuffer();
}

async function upload(
  images: Buffer[],
): Promise<{status: number; body: {added: {id: number; file: string}[]}}> {
  const form = new FormData();
  for (const [index, bytes] of images.entries())
    form.append('files', new Blob([new Uint8Array(bytes)], {type: 'image/png'}), `p${index}.png`);
  const response = await fetch(`${base}/api/embed`, {
    method: 'POST',
    body: form,
    headers: {authorization: `Bearer ${TOKEN}`},
  });
  return {status: response.status, body: (await response.json()) as {added: {id: number; file: string}[]}};
}

test('uploads append shards while searches run: no search fails, no row lost or duplicated', async () => {
  const batches = await Promise.all(
    Array.from({length: 6}, (_, batch) => Promise.all([0, 1, 2].map((index) => picture(batch * 3 + index)))),
  );
  // The same picture in two concurrent uploads is one row.
  batches[5]!.push(batches[0]![0]!);
  const searches: Promise<number>[] = [];
  const uploads = batches.map((images) => upload(images));
  for (let round = 0; round < 40; round++) {
    searches.push(fetch(`${base}/api/search?q=a%20photo&k=5`, auth).then((response) => response.status));
    searches.push(fetch(`${base}/api/search?id=${round % 8}&k=3`, auth).then((response) => response.status));
  }
  const statuses = await Promise.all(searches);
  assert.deepEqual(new Set(statuses), new Set([200]), 'every search succeeded');
  const results = await Promise.all(uploads);
  for (const result of results) assert.equal(result.status, 201);
  const added = results.flatMap((result) => result.body.added);
  const ids = new Map<string, number>();
  for (const {id, file} of added) {
    if (ids.has(file)) assert.equal(ids.get(file), id, `${file} has one id`);
    ids.set(file, id);
  }
  assert.equal(ids.size, 18);
  assert.deepEqual(
    [...ids.values()].sort((a, b) => a - b),
    Array.from({length: 18}, (_, index) => 8 + index),
  );

  const stats = (await (await fetch(`${base}/api/stats`, auth)).json()) as {count: number};
  assert.equal(stats.count, 26);
  const stored = await openCollection(embeddings);
  assert.equal(stored.files.length, 26);
  assert.equal(new Set(stored.files).size, 26);
  for (const [file, id] of ids) assert.equal(stored.files[id], file, `row ${id} on disk is ${file}`);
  // Appending never rewrote a committed shard: the first embed's shards are as they were.
  const manifest = (await readManifest(embeddings))!;
  assert.deepEqual(
    manifest.shards.slice(0, 2).map((shard) => shard.id),
    ['00000000', '00000001'],
  );
  // An image search by the uploaded bytes finds its row.
  const response = await fetch(`${base}/api/search?k=1`, {
    method: 'POST',
    headers: {'content-type': 'image/png', authorization: `Bearer ${TOKEN}`},
    body: new Uint8Array(batches[2]![1]!),
  });
  const found = (await response.json()) as {results: {file: string; score: number}[]};
  const sha = createHash('sha256').update(batches[2]![1]!).digest('hex');
  assert.equal(found.results[0]?.file, `uploads/${sha.slice(0, 24)}.png`);
  assert.ok(found.results[0]!.score > 0.9999);
});

test('rows another writer added meanwhile are read before the upload; the view is rebuilt on close', async () => {
  const before = (await (await fetch(`${base}/api/stats`, auth)).json()) as {count: number};
  // A writer outside the server (e.g. a cluster job) adds a shard of two rows of the right width.
  const collection = await openCollection(embeddings);
  const {header} = collection;
  const rows = await appendRowsOfModel(header, ['outside/a.jpg', 'outside/b.jpg']);
  assert.equal(rows, 2);
  const result = await upload([await picture(500)]);
  assert.equal(result.status, 201);
  assert.equal(result.body.added[0]!.id, before.count + 2);
  const stats = (await (await fetch(`${base}/api/stats`, auth)).json()) as {count: number};
  assert.equal(stats.count, before.count + 3);
  await server.close();
  const metadata = JSON.parse(await readFile(join(embeddings, 'metadata.json'), 'utf8'));
  assert.equal(metadata.counts.ok, before.count + 3);
  assert.deepEqual(await leftovers(embeddings), []);
});

async function appendRowsOfModel(
  header: Awaited<ReturnType<typeof openCollection>>['header'],
  names: string[],
): Promise<number> {
  const writer = await openCollectionWriter({embeddingsDir: embeddings});
  try {
    await writer.bind({imagesDir: header.images_dir, model: header.model, dims: header.embedding_dim});
    await writer.append({
      rows: unitRows(names.length, 11, header.embedding_dim),
      filenames: names,
      images: imageFacts(names),
    });
    await writer.commit();
  } finally {
    await writer.close();
  }
  return names.length;
}
