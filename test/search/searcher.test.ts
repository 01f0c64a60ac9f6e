import assert from 'node:assert/strict';
import {rm, writeFile} from 'node:fs/promises';
import {join} from 'node:path';
import {after, test} from 'node:test';
import {encodeFloat32Matrix} from '../../source/core/npy.js';
import {buildSearchIndex} from '../../source/core/search/build-index.js';
import {createSearcher} from '../../source/core/search/searcher.js';
import {HANG_GUARD_MS} from '../helpers/hang-guard.js';
import {goldenMatrix, goldenTexts, MODELS_DIR, makeFixtureCollection} from './fixture-collection.js';

const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, {recursive: true, force: true});
});
async function collection(metadata?: unknown) {
  const made = await makeFixtureCollection(...(metadata === undefined ? [] : [metadata]));
  dirs.push(made.dir);
  return made;
}

test('with the fixture model, text rankings reproduce the reference similarity.npy for every text', async () => {
  const {dir, images} = await collection();
  const similarity = await goldenMatrix('similarity.npy'); // 8 images x 15 texts
  const texts = await goldenTexts();
  const searcher = await createSearcher({embeddingsDir: dir, modelsDir: MODELS_DIR});
  try {
    assert.deepEqual(
      [searcher.modelName, searcher.dtype, searcher.index, searcher.count],
      ['tiny-clip', 'fp32', 'exact', 8],
    );
    let worst = 0;
    for (const [column, text] of texts.entries()) {
      const results = await searcher.search({terms: [{kind: 'text', text, weight: 1}]}, 8);
      const expected = images
        .map((file, row) => ({row, file, score: similarity.data[row * 15 + column]!}))
        .sort((a, b) => b.score - a.score);
      assert.deepEqual(
        results.map((result) => result.id),
        expected.map((entry) => entry.row),
        `order for ${JSON.stringify(text)}`,
      );
      results.forEach((result, index) => {
        assert.equal(result.rank, index + 1);
        assert.equal(result.file, expected[index]!.file);
        worst = Math.max(worst, Math.abs(result.score - expected[index]!.score));
      });
    }
    // Measured: 7.0e-8 (the reference's scores differ by at least 1.2e-5 between neighbours, so order is stable).
    assert.ok(worst < 1e-6, `max score difference ${worst}`);
  } finally {
    await searcher.close();
  }
});

test('combined queries are the normalised weighted sum of normalised term vectors', async () => {
  const {dir} = await collection();
  const texts = await goldenTexts();
  const textEmbeds = await goldenMatrix('text_embeds_normalized.npy');
  const imageEmbeds = await goldenMatrix('image_embeds_normalized.npy');
  const searcher = await createSearcher({embeddingsDir: dir, modelsDir: MODELS_DIR});
  try {
    // "a photo of a dog" - 0.5 * "a red car…" + row 6's image.
    const combined = new Float64Array(512);
    for (let i = 0; i < 512; i++)
      combined[i] =
        textEmbeds.data[i]! - 0.5 * textEmbeds.data[2 * 512 + i]! + imageEmbeds.data[6 * 512 + i]!;
    const norm = Math.hypot(...combined);
    const expected = Array.from({length: 8}, (_, row) => {
      let score = 0;
      for (let i = 0; i < 512; i++) score += (imageEmbeds.data[row * 512 + i]! * combined[i]!) / norm;
      return {row, score};
    }).sort((a, b) => b.score - a.score);
    const results = await searcher.search(`"${texts[0]}" - 0.5*"${texts[2]}" + id:6`, 8);
    assert.deepEqual(
      results.map((result) => result.id),
      expected.map((entry) => entry.row),
    );
    results.forEach((result, index) => {
      assert.ok(Math.abs(result.score - expected[index]!.score) < 1e-5);
    });
    const self = await searcher.search('id:4', 1);
    assert.equal(self[0]?.id, 4);
    assert.ok(Math.abs(self[0]!.score - 1) < 1e-6);
    await assert.rejects(searcher.search('"cat" - "cat"', 3), {name: 'UserError', message: /cancel out/});
    await assert.rejects(searcher.search('id:8', 3), {name: 'UserError', message: /no row id:8/});
    await assert.rejects(searcher.search('cat', 0), {name: 'UserError'});
  } finally {
    await searcher.close();
  }
});

test('an image query finds its own stored row first', {timeout: HANG_GUARD_MS}, async () => {
  const {dir} = await collection();
  const searcher = await createSearcher({embeddingsDir: dir, modelsDir: MODELS_DIR});
  try {
    // square_224.png needs no resize, so its embedding matches the reference's to float precision.
    const results = await searcher.search(
      {terms: [{kind: 'image', image: 'test/fixtures/images/square_224.png', weight: 1}]},
      3,
    );
    assert.equal(results[0]?.file, 'square_224.png');
    assert.ok(results[0]!.score > 0.99999, `score ${results[0]?.score}`);
    await assert.rejects(searcher.search('image:test/fixtures/golden/meta.json', 3), {
      name: 'UserError',
      message: /cannot use .*meta\.json as a query/,
    });
  } finally {
    await searcher.close();
  }
});

test('the model comes from metadata, or --model; mismatches and missing outputs are user errors', async () => {
  await assert.rejects(createSearcher({embeddingsDir: '/nonexistent/outputs', modelsDir: MODELS_DIR}), {
    name: 'UserError',
    message: /no image_embeddings\.npy in \/nonexistent\/outputs/,
  });
  const bare = await collection(null);
  await assert.rejects(createSearcher({embeddingsDir: bare.dir, modelsDir: MODELS_DIR}), {
    name: 'UserError',
    message: /no metadata\.json naming the model/,
  });
  const named = await createSearcher({
    embeddingsDir: bare.dir,
    modelsDir: MODELS_DIR,
    model: 'tiny-clip',
    dtype: 'q8',
  });
  try {
    assert.equal(named.dtype, 'q8');
    assert.equal((await named.search('a photo of a dog', 8)).length, 8);
  } finally {
    await named.close();
  }
  // Embeddings of another width: the text model cannot search them.
  const narrow = await collection();
  await writeFile(
    join(narrow.dir, 'image_embeddings.npy'),
    encodeFloat32Matrix(new Float32Array(8 * 16).fill(0.25), 8, 16),
  );
  const searcher = await createSearcher({embeddingsDir: narrow.dir, modelsDir: MODELS_DIR});
  try {
    await assert.rejects(searcher.search('a dog', 3), {name: 'UserError', message: /512-d.*16-d/});
  } finally {
    await searcher.close();
  }
});

test('index auto uses a fresh HNSW index, falls back to exact with a note when it is stale', async () => {
  const {dir} = await collection();
  await buildSearchIndex({embeddingsDir: dir});
  const withIndex = await createSearcher({embeddingsDir: dir, modelsDir: MODELS_DIR});
  const exact = await createSearcher({embeddingsDir: dir, modelsDir: MODELS_DIR, index: 'exact'});
  try {
    assert.equal(withIndex.index, 'hnsw');
    assert.equal(exact.index, 'exact');
    const [a, b] = [await withIndex.search('a photo of a dog', 8), await exact.search('a photo of a dog', 8)];
    assert.deepEqual(
      a.map((hit) => hit.id),
      b.map((hit) => hit.id),
    );
    a.forEach((hit, index) => {
      assert.ok(Math.abs(hit.score - b[index]!.score) < 1e-5);
    });
  } finally {
    await withIndex.close();
    await exact.close();
  }
  const golden = await goldenMatrix('image_embeds_normalized.npy');
  const changed = golden.data.slice();
  changed.set(golden.data.subarray(0, 512), 512); // row 1 := row 0
  await writeFile(join(dir, 'image_embeddings.npy'), encodeFloat32Matrix(changed, 8, 512));
  const stale = await createSearcher({embeddingsDir: dir, modelsDir: MODELS_DIR});
  try {
    assert.equal(stale.index, 'exact');
    assert.match(stale.notes.join('\n'), /stale.*--build-index/);
  } finally {
    await stale.close();
  }
  await assert.rejects(createSearcher({embeddingsDir: dir, modelsDir: MODELS_DIR, index: 'hnsw'}), {
    name: 'UserError',
    message: /stale/,
  });
});
