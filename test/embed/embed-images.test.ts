import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import type {CacheKey, EmbeddingCachePort} from '../../source/core/embed/cache-port.js';
import type {EmbedEvent} from '../../source/core/embed/embed-events.js';
import {type EmbedOptions, embedImages} from '../../source/core/embed/embed-images.js';
import {compareWithGolden, cosine, fixtureEmbedOptions, fixtureImages, readOutputs} from './helpers.js';

let work: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'vc-embed-'));
});
after(async () => {
  await rm(work, {recursive: true, force: true});
});

function options(overrides: Partial<EmbedOptions> & {embeddingsDir: string}): EmbedOptions {
  return fixtureEmbedOptions(work, overrides);
}

test('embeddings of the fixture images match the reference and load in numpy', async (t) => {
  const embeddingsDir = join(work, 'golden');
  const events: EmbedEvent['type'][] = [];
  let ticks = 0;
  const report = await embedImages({
    ...options({embeddingsDir}),
    onEvent: (event) => events.push(event.type),
    // Injected clocks: every reading advances 250 ms; wall-clock times are fixed.
    clock: () => 250 * ticks++,
    now: () => new Date('2026-01-02T03:04:05.000Z'),
  });
  const outputs = await readOutputs(embeddingsDir);
  assert.equal(outputs.rows.length, 8);
  assert.equal(outputs.dims, 512);
  assert.deepEqual(outputs.filenames, [...outputs.filenames].sort());
  for (const result of await compareWithGolden(outputs)) {
    t.diagnostic(
      `${result.name}: cosine with golden ${result.cosine.toFixed(9)} (1 - cos = ${(1 - result.cosine).toExponential(1)})`,
    );
    assert.ok(result.cosine >= 0.9999, `${result.name}: cosine ${result.cosine}`);
    assert.equal(result.nearest, result.name, `${result.name} is nearest to ${result.nearest}`);
  }
  assert.deepEqual(report.metadata, outputs.metadata);
  assert.deepEqual(outputs.metadata.counts, {
    inputs: 8,
    ok: 8,
    failed: 0,
    cache_hits: 0,
    skipped: 0,
    not_reached: 0,
  });
  assert.equal(outputs.metadata.interrupted, false);
  assert.deepEqual(events.slice(0, 3), ['scanned', 'model-loading', 'model-loaded']);
  assert.equal(report.metadata.started_at, '2026-01-02T03:04:05.000Z');
  assert.equal(report.metadata.finished_at, '2026-01-02T03:04:05.000Z');
  const timings = report.metadata.timings_seconds;
  // All but inference (timed inside the worker thread, by its own clock) come from the injected clock.
  for (const value of [timings.load, timings.preprocess, timings.write, timings.total])
    assert.equal((value * 1000) % 250, 0, JSON.stringify(timings));
  assert.ok(timings.total >= timings.load + timings.write && timings.load > 0, JSON.stringify(timings));
  assert.deepEqual(events.slice(-2), ['writing', 'done']);

  const script = `
import hashlib, json, numpy as np, sys
d = sys.argv[1]
e = np.load(d + '/image_embeddings.npy', allow_pickle=False)
f = np.load(d + '/image_filenames.npy', allow_pickle=False)
m = json.load(open(d + '/metadata.json'))
sha = {n: hashlib.sha256(open(d + '/' + n, 'rb').read()).hexdigest() for n in m['files']}
print(json.dumps({'dtype': str(e.dtype), 'shape': list(e.shape), 'norms': np.linalg.norm(e, axis=1).tolist(),
  'fdtype': f.dtype.kind, 'names': f.tolist(), 'sha_ok': all(sha[n] == m['files'][n]['sha256'] for n in sha),
  'rows_ok': m['counts']['ok'] == e.shape[0] == f.shape[0], 'dim_ok': m['model']['embedding_dim'] == e.shape[1]}))
`;
  const numpy = JSON.parse(execFileSync('python3', ['-c', script, embeddingsDir], {encoding: 'utf8'}));
  assert.equal(numpy.dtype, 'float32');
  assert.deepEqual(numpy.shape, [8, 512]);
  for (const norm of numpy.norms) assert.ok(Math.abs(norm - 1) < 1e-5, `row norm ${norm}`);
  assert.equal(numpy.fdtype, 'U');
  assert.deepEqual(numpy.names, outputs.filenames);
  assert.ok(numpy.sha_ok && numpy.rows_ok && numpy.dim_ok, JSON.stringify(numpy));
});

test('a batch of 1 gives the same rows as a batch of 8, with or without preprocessing workers', async () => {
  await embedImages(options({embeddingsDir: join(work, 'b8'), batchSize: 8}));
  await embedImages(
    options({embeddingsDir: join(work, 'b1'), batchSize: 1, preprocessWorkers: 0, readAhead: false}),
  );
  const eight = await readOutputs(join(work, 'b8'));
  const one = await readOutputs(join(work, 'b1'));
  assert.deepEqual(one.filenames, eight.filenames);
  for (const [row, vector] of one.rows.entries()) {
    let worst = 0;
    for (const [index, value] of vector.entries())
      worst = Math.max(worst, Math.abs(value - (eight.rows[row]?.[index] ?? 0)));
    assert.ok(worst < 1e-6, `${one.filenames[row]}: max abs diff ${worst}`);
  }
});

test('q8 (the quantised graph) works and stays close to the reference', async (t) => {
  const embeddingsDir = join(work, 'q8');
  const report = await embedImages(options({embeddingsDir, dtype: 'q8'}));
  assert.equal(report.metadata.model.file, 'onnx/vision_model_quantized.onnx');
  assert.equal(report.metadata.model.dtype, 'q8');
  for (const result of await compareWithGolden(await readOutputs(embeddingsDir))) {
    t.diagnostic(`q8 ${result.name}: cosine with golden ${result.cosine.toFixed(6)}`);
    assert.ok(result.cosine >= 0.999, `${result.name}: cosine ${result.cosine}`);
    assert.equal(result.nearest, result.name);
  }
});

test('bad files become failures with reasons while the rest embed', async () => {
  const input = join(work, 'mixed');
  await mkdir(join(input, 'sub', 'deeper'), {recursive: true});
  await mkdir(join(input, '.hidden-dir'), {recursive: true});
  await cp(join(fixtureImages, 'photo_640x480.jpg'), join(input, 'photo.jpg'));
  await cp(join(fixtureImages, 'webp_256.webp'), join(input, 'sub', 'deeper', 'picture.webp'));
  await cp(join(fixtureImages, 'square_224.png'), join(input, '.hidden-dir', 'ignored.png'));
  await cp(join(fixtureImages, 'square_224.png'), join(input, '.ignored.png'));
  const photo = await readFile(join(fixtureImages, 'photo_640x480.jpg'));
  await writeFile(join(input, 'truncated.jpg'), photo.subarray(0, Math.floor(photo.length / 3)));
  await writeFile(join(input, 'empty.png'), new Uint8Array(0));
  await writeFile(
    join(input, 'corrupt.png'),
    Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n'), Buffer.alloc(300, 7)]),
  );
  await writeFile(join(input, 'not-an-image.jpg'), 'hello, I am text');
  await writeFile(join(input, 'README.txt'), 'skipped: plainly not an image');
  const embeddingsDir = join(work, 'mixed-out');
  const failures: string[] = [];
  const report = await embedImages({
    ...options({imagesDir: input, embeddingsDir, batchSize: 3}),
    onEvent: (event) => {
      if (event.type === 'failure') failures.push(event.file);
    },
  });
  const outputs = await readOutputs(embeddingsDir);
  assert.deepEqual(outputs.filenames, ['photo.jpg', 'sub/deeper/picture.webp']);
  assert.deepEqual(report.metadata.counts, {
    inputs: 6,
    ok: 2,
    failed: 4,
    cache_hits: 0,
    skipped: 1,
    not_reached: 0,
  });
  const reasons = new Map(report.metadata.failures.map((failure) => [failure.file, failure.reason]));
  assert.deepEqual([...reasons.keys()], ['corrupt.png', 'empty.png', 'not-an-image.jpg', 'truncated.jpg']);
  assert.deepEqual(failures, [...reasons.keys()]);
  for (const [file, reason] of reasons)
    assert.ok(reason.length > 5 && !reason.includes('\n'), `${file}: ${reason}`);
});

test('an abort stops between batches and leaves consistent outputs marked interrupted', async () => {
  const embeddingsDir = join(work, 'aborted');
  const controller = new AbortController();
  const report = await embedImages({
    ...options({embeddingsDir, batchSize: 2}),
    signal: controller.signal,
    onEvent: (event) => {
      // Batches of 1, 2, 2, 2, 1 (the ramp): abort once the first two are out.
      if (event.type === 'batch' && event.done === 3) controller.abort();
    },
  });
  assert.equal(report.metadata.interrupted, true);
  const outputs = await readOutputs(embeddingsDir);
  assert.equal(outputs.rows.length, 3);
  assert.equal(outputs.filenames.length, 3);
  assert.equal(outputs.metadata.counts.ok, 3);
  assert.equal(outputs.metadata.interrupted, true);
  for (const result of await compareWithGolden(outputs)) assert.ok(result.cosine >= 0.9999, result.name);
});

/** Every entry under `dir`, recursively, with the bytes of files (links followed). */
async function snapshot(dir: string): Promise<Map<string, string>> {
  const entries = new Map<string, string>();
  for (const name of (await readdir(dir, {recursive: true})).sort()) {
    const bytes = await readFile(join(dir, name)).catch(() => undefined);
    entries.set(name, bytes ? bytes.toString('base64') : 'folder');
  }
  return entries;
}

test('a run that embeds nothing fails clearly and leaves the previous outputs untouched', async () => {
  const embeddingsDir = join(work, 'kept');
  await embedImages(options({embeddingsDir}));
  const before = await snapshot(embeddingsDir);
  const junk = join(work, 'junk');
  await mkdir(junk, {recursive: true});
  await writeFile(join(junk, 'a.jpg'), 'not a jpeg');
  await writeFile(join(junk, 'b.png'), new Uint8Array(0));
  // --replace: the collection would start over with these images, but none embeds, so it does not.
  await assert.rejects(
    embedImages(options({imagesDir: junk, embeddingsDir, replace: true})),
    (error: Error) => {
      assert.equal(error.name, 'UserError');
      assert.match(error.message, /none of the 2 files .* could be embedded .*nothing was written/);
      return true;
    },
  );
  const empty = join(work, 'empty');
  await mkdir(empty, {recursive: true});
  await assert.rejects(embedImages(options({imagesDir: empty, embeddingsDir})), /no images found/);
  await assert.rejects(
    embedImages(options({imagesDir: join(work, 'missing'), embeddingsDir})),
    /does not exist/,
  );
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(
    embedImages({...options({embeddingsDir, replace: true}), signal: controller.signal}),
    /interrupted before any image was embedded/,
  );
  // Without --replace there is nothing left to do: a stop then changes nothing either.
  const unchanged = await embedImages({...options({embeddingsDir}), signal: controller.signal});
  assert.equal(unchanged.sync.kept, 8);
  assert.equal(unchanged.metadata.interrupted, false);
  assert.deepEqual(await snapshot(embeddingsDir), before);
});

test('a run that breaks after rows were streamed leaves the previous outputs untouched and no temp file', async () => {
  const embeddingsDir = join(work, 'broken-midway');
  await embedImages(options({embeddingsDir}));
  const before = await snapshot(embeddingsDir);
  let stores = 0;
  // A cache that fails on its second store (as a full disk would): two batches' rows are on disk by then.
  const failingCache: EmbeddingCachePort = {
    getMany: () => new Map(),
    putMany: () => {
      if (++stores === 2) throw new Error('disk full');
    },
    close: () => {},
  };
  await assert.rejects(
    embedImages({...options({embeddingsDir, batchSize: 2, replace: true}), cache: failingCache}),
    /disk full/,
  );
  assert.equal(stores, 2);
  assert.deepEqual(await snapshot(embeddingsDir), before);
});

class MemoryCache implements EmbeddingCachePort {
  readonly entries = new Map<string, Float32Array>();
  readonly keys: CacheKey[] = [];
  private id = (key: CacheKey) => `${key.sha256}|${key.model}|${key.dtype}|${key.preprocessVersion}`;
  getMany(keys: CacheKey[]) {
    const found = new Map<string, Float32Array>();
    for (const key of keys) {
      const vector = this.entries.get(this.id(key));
      if (vector) found.set(key.sha256, vector.slice());
    }
    return found;
  }
  putMany(entries: {key: CacheKey; vector: Float32Array}[]) {
    for (const {key, vector} of entries) {
      this.keys.push(key);
      this.entries.set(this.id(key), vector.slice());
    }
  }
  close() {}
}

test('the cache port: misses are stored after each batch, hits skip inference and are counted', async () => {
  const cache = new MemoryCache();
  const first = await embedImages({...options({embeddingsDir: join(work, 'c1'), batchSize: 3}), cache});
  assert.equal(first.metadata.counts.cache_hits, 0);
  assert.equal(cache.entries.size, 8);
  assert.match(cache.keys[0]?.sha256 ?? '', /^[0-9a-f]{64}$/);
  assert.equal(cache.keys[0]?.preprocessVersion, first.metadata.model.preprocess_version);
  const second = await embedImages({...options({embeddingsDir: join(work, 'c2'), batchSize: 3}), cache});
  assert.equal(second.metadata.counts.cache_hits, 8);
  assert.equal(second.metadata.counts.ok, 8);
  const a = await readOutputs(join(work, 'c1'));
  const b = await readOutputs(join(work, 'c2'));
  for (const [row, vector] of a.rows.entries())
    assert.ok(cosine(vector, b.rows[row] as Float32Array) > 0.9999999);
  // A different dtype must not reuse fp32 vectors.
  const q8 = await embedImages({...options({embeddingsDir: join(work, 'c3'), dtype: 'q8'}), cache});
  assert.equal(q8.metadata.counts.cache_hits, 0);
});
