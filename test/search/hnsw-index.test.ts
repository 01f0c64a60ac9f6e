import assert from 'node:assert/strict';
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, test} from 'node:test';
import {encodeFloat32Matrix, encodeUnicodeArray} from '../../source/core/npy.js';
import {buildSearchIndex} from '../../source/core/search/build-index.js';
import {loadEmbeddingCollection} from '../../source/core/search/embedding-collection.js';
import {
  buildHnswIndex,
  HNSW_INDEX_FILE,
  HNSW_META_FILE,
  loadHnswIndex,
} from '../../source/core/search/hnsw-index.js';
import {measureRecall, seededRandom} from '../../source/core/search/recall.js';
import {HANG_GUARD_MS} from '../helpers/hang-guard.js';

const DIMS = 512;
const random = seededRandom(1);
const gaussian = () => Math.sqrt(-2 * Math.log(random() || 1e-12)) * Math.cos(2 * Math.PI * random());
function unitVector(): Float32Array {
  const vector = Float32Array.from({length: DIMS}, gaussian);
  const norm = Math.hypot(...vector);
  return vector.map((value) => value / norm);
}
function unitMatrix(rows: number) {
  const data = new Float32Array(rows * DIMS);
  for (let row = 0; row < rows; row++) data.set(unitVector(), row * DIMS);
  return {data, rows, dims: DIMS};
}

const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, {recursive: true, force: true});
});

test('HNSW recall@10 against exact search on 5,000 random unit vectors', {
  timeout: HANG_GUARD_MS,
}, async () => {
  const matrix = unitMatrix(5000);
  const events: string[] = [];
  const index = await buildHnswIndex(matrix, {onEvent: (event) => events.push(event.type)});
  assert.equal(events[0], 'start');
  assert.equal(events.at(-1), 'done');
  assert.equal(events.filter((type) => type === 'progress').length, 5);
  const queries = Array.from({length: 200}, unitVector);
  const at = (efSearch: number) => measureRecall(matrix, index, {k: 10, queries, efSearch}).recall;
  const [low, standard, high] = [at(32), at(128), at(512)];
  // Measured (m 32, efConstruction 200, seed 100): ef 32 → 0.57, ef 128 → 0.93, ef 256 → 0.99, ef 512 → 1.00. Random vectors in
  // 512-d have no structure to exploit: the worst case for HNSW; clustered data reaches 1.00 at ef 64.
  assert.ok(standard >= 0.9, `recall@10 at ef 128: ${standard}`);
  assert.ok(high >= 0.99, `recall@10 at ef 512: ${high}`);
  assert.ok(low < standard && standard <= high, `recall grows with ef: ${low} ${standard} ${high}`);
  // Stored rows as queries find themselves first.
  const self = index.search(matrix.data.subarray(17 * DIMS, 18 * DIMS), 3);
  assert.equal(self[0]?.row, 17);
  assert.ok(Math.abs(self[0]!.score - 1) < 1e-5);
});

test('the index is saved beside the embeddings, reloads, and is reported stale when they change', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vc-hnsw-'));
  dirs.push(dir);
  const matrix = unitMatrix(300);
  await writeFile(join(dir, 'image_embeddings.npy'), encodeFloat32Matrix(matrix.data, 300, DIMS));
  await writeFile(
    join(dir, 'image_filenames.npy'),
    encodeUnicodeArray(Array.from({length: 300}, (_, row) => `img${row}.jpg`)),
  );
  assert.deepEqual(await loadHnswIndex(dir, {rows: 300, dims: DIMS, embeddingsSha256: 'x'}), {
    status: 'missing',
  });
  const meta = await buildSearchIndex({embeddingsDir: dir, recallQueries: 50});
  assert.equal(meta.rows, 300);
  assert.equal(meta.recall?.k, 10);
  assert.ok((meta.recall?.recall ?? 0) >= 0.99, `recall ${meta.recall?.recall}`);
  const saved = JSON.parse(await readFile(join(dir, HNSW_META_FILE), 'utf8'));
  assert.equal(saved.embeddingsSha256, meta.embeddingsSha256);

  const collection = await loadEmbeddingCollection(dir);
  const loaded = await loadHnswIndex(dir, {
    rows: collection.matrix.rows,
    dims: collection.matrix.dims,
    embeddingsSha256: collection.embeddingsSha256,
  });
  assert.equal(loaded.status, 'ready');
  if (loaded.status === 'ready')
    assert.equal(loaded.index.search(matrix.data.subarray(5 * DIMS, 6 * DIMS), 1)[0]?.row, 5);

  // New embeddings (same shape): the index no longer describes them.
  const changed = await loadHnswIndex(dir, {rows: 300, dims: DIMS, embeddingsSha256: '0'.repeat(64)});
  assert.equal(changed.status, 'stale');
  // A truncated index file (a crash while copying it) is stale, not a crash.
  const bytes = await readFile(join(dir, HNSW_INDEX_FILE));
  await writeFile(join(dir, HNSW_INDEX_FILE), bytes.subarray(0, 1000));
  const truncated = await loadHnswIndex(dir, {
    rows: 300,
    dims: DIMS,
    embeddingsSha256: collection.embeddingsSha256,
  });
  assert.deepEqual(truncated.status, 'stale');
});
