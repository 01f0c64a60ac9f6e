import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, test} from 'node:test';
import Database from 'better-sqlite3';
import {openEmbeddingCache, resolveCachePath} from '../../source/core/cache/embedding-cache.js';
import type {CacheKey} from '../../source/core/embed/cache-port.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'vc-cache-'));
  dirs.push(dir);
  return dir;
}
after(async () => {
  for (const dir of dirs) await rm(dir, {recursive: true, force: true});
});

const sha = (n: number) => n.toString(16).padStart(64, '0');
const key = (n: number, overrides: Partial<CacheKey> = {}): CacheKey => ({
  sha256: sha(n),
  model: 'tiny-clip@onnx/vision_model.onnx:1234:5678',
  dtype: 'fp32',
  preprocessVersion: 'clip-pil-1',
  ...overrides,
});
const vectorFor = (n: number) => Float32Array.from({length: 512}, (_, i) => Math.sin(n * 1000 + i));

test('hits and misses by sha256; vectors come back bit-exact', async () => {
  const cache = openEmbeddingCache(join(await tempDir(), 'nested', 'cache.sqlite'));
  try {
    assert.equal(cache.getMany([key(1), key(2)]).size, 0);
    cache.putMany([
      {key: key(1), vector: vectorFor(1)},
      {key: key(2), vector: vectorFor(2).subarray(0, 512)},
    ]);
    const found = cache.getMany([key(1), key(2), key(3)]);
    assert.deepEqual([...found.keys()].sort(), [sha(1), sha(2)]);
    assert.deepEqual(found.get(sha(1)), vectorFor(1));
    assert.deepEqual(found.get(sha(2)), vectorFor(2));
    // Writing the same key again replaces, it does not duplicate.
    cache.putMany([{key: key(1), vector: vectorFor(9)}]);
    assert.deepEqual(cache.getMany([key(1)]).get(sha(1)), vectorFor(9));
    const stats = cache.stats();
    assert.equal(stats.entries, 2);
    assert.equal(stats.hits, 3);
    assert.equal(stats.misses, 3);
    assert.deepEqual(stats.models, [
      {model: key(1).model, dtype: 'fp32', preprocessVersion: 'clip-pil-1', entries: 2},
    ]);
  } finally {
    cache.close();
  }
});

test('a vector is never served for a different model, dtype or preprocessing version', async () => {
  const cache = openEmbeddingCache(join(await tempDir(), 'cache.sqlite'));
  try {
    cache.putMany([{key: key(1), vector: vectorFor(1)}]);
    assert.equal(cache.getMany([key(1, {model: 'other-model'})]).size, 0);
    assert.equal(cache.getMany([key(1, {dtype: 'q8'})]).size, 0);
    assert.equal(cache.getMany([key(1, {preprocessVersion: 'clip-pil-2'})]).size, 0);
    cache.putMany([{key: key(1, {dtype: 'q8'}), vector: vectorFor(5)}]);
    assert.deepEqual(cache.getMany([key(1)]).get(sha(1)), vectorFor(1));
    assert.deepEqual(cache.getMany([key(1, {dtype: 'q8'})]).get(sha(1)), vectorFor(5));
    assert.equal(cache.stats().entries, 2);
  } finally {
    cache.close();
  }
});

test('the cache survives reopening, runs in WAL mode, and committed batches survive a killed process', async () => {
  const dir = await tempDir();
  const path = join(dir, 'cache.sqlite');
  // A child process commits one batch, then dies without closing anything.
  const script = `
    import {openEmbeddingCache} from ${JSON.stringify(new URL('../../source/core/cache/embedding-cache.ts', import.meta.url).href)};
    const cache = openEmbeddingCache(${JSON.stringify(path)});
    cache.putMany([{key: {sha256: 'a'.repeat(64), model: 'm', dtype: 'fp32', preprocessVersion: 'p'}, vector: Float32Array.from([1, 2, 3])}]);
    process.kill(process.pid, 'SIGKILL');
  `;
  assert.throws(() =>
    execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script]),
  );
  const cache = openEmbeddingCache(path);
  try {
    const found = cache.getMany([
      {sha256: 'a'.repeat(64), model: 'm', dtype: 'fp32', preprocessVersion: 'p'},
    ]);
    assert.deepEqual(found.get('a'.repeat(64)), Float32Array.from([1, 2, 3]));
    cache.putMany([{key: key(7), vector: vectorFor(7)}]);
  } finally {
    cache.close();
  }
  const reopened = openEmbeddingCache(path);
  try {
    assert.deepEqual(reopened.getMany([key(7)]).get(sha(7)), vectorFor(7));
  } finally {
    reopened.close();
  }
  const raw = new Database(path, {readonly: true});
  try {
    assert.equal(raw.pragma('journal_mode', {simple: true}), 'wal');
  } finally {
    raw.close();
  }
});

test('a damaged or foreign file is a UserError that says to delete it', async () => {
  const dir = await tempDir();
  const garbage = join(dir, 'garbage.sqlite');
  await writeFile(garbage, Buffer.alloc(8192, 0x5a));
  assert.throws(
    () => openEmbeddingCache(garbage),
    (error: Error & {hint?: string}) => {
      assert.equal(error.name, 'UserError');
      assert.match(error.message, /garbage\.sqlite is damaged/);
      assert.match(error.hint ?? '', /delete .*garbage\.sqlite/);
      return true;
    },
  );
  const foreign = join(dir, 'foreign.sqlite');
  const other = new Database(foreign);
  other.exec('CREATE TABLE notes (text TEXT)');
  other.close();
  assert.throws(() => openEmbeddingCache(foreign), {name: 'UserError', message: /not an embedding cache/});
});

test('the default cache path follows VISUAL_CORTEX_CACHE, then XDG_CACHE_HOME', () => {
  assert.equal(resolveCachePath('/x/c.sqlite', {VISUAL_CORTEX_CACHE: '/y'}), '/x/c.sqlite');
  assert.equal(resolveCachePath(undefined, {VISUAL_CORTEX_CACHE: '/y/c.sqlite'}), '/y/c.sqlite');
  assert.equal(resolveCachePath(undefined, {XDG_CACHE_HOME: '/z'}), '/z/visual-cortex/embeddings.sqlite');
});
