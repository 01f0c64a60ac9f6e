import assert from 'node:assert/strict';
import {cp, mkdtemp, readFile, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {test} from 'node:test';
import {openLiveCollection} from '../../source/core/append/live-collection.js';
import {openEmbeddingCache} from '../../source/core/cache/embedding-cache.js';
import {openCollection} from '../../source/core/collection/reader.js';
import type {CacheKey, EmbeddingCachePort} from '../../source/core/embed/cache-port.js';
import {embedImages} from '../../source/core/embed/embed-images.js';
import {fixtureImages, tinyClip} from '../embed/helpers.js';

test('uploads take the pipeline cache-through path: a cached picture is not embedded again', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'vc-live-'));
  try {
    await cp(fixtureImages, join(root, 'images'), {recursive: true});
    const cachePath = join(root, 'cache.sqlite');
    const models = join(root, 'models');
    const first = openEmbeddingCache(cachePath);
    await embedImages({
      imagesDir: join(root, 'images'),
      embeddingsDir: join(root, 'embeddings'),
      model: tinyClip,
      modelsDir: models,
      dtype: 'fp32',
      device: 'cpu',
      cache: first,
    });
    first.close();
    const real = openEmbeddingCache(cachePath);
    const stored: CacheKey[] = [];
    let hits = 0;
    const cache: EmbeddingCachePort = {
      getMany: (keys) => {
        const found = real.getMany(keys);
        hits += found.size;
        return found;
      },
      putMany: (entries) => {
        stored.push(...entries.map((entry) => entry.key));
        real.putMany(entries);
      },
      close: () => real.close(),
    };
    const live = await openLiveCollection({
      embeddingsDir: join(root, 'embeddings'),
      modelsDir: models,
      cache,
    });
    let closed = false;
    // A failed assertion still closes it (its model's worker would keep the test process alive).
    t.after(() => (closed ? undefined : live.close()));
    const before = live.searcher.count;
    const picture = await readFile(join(fixtureImages, 'tiny_50x40.png'));
    const report = await live.append([
      {name: 'again.png', data: picture},
      {name: 'notes.txt', data: new TextEncoder().encode('not an image')},
    ]);
    assert.equal(report.added.length, 1);
    assert.equal(report.added[0]!.id, before);
    assert.deepEqual(
      report.failed.map((failure) => failure.file),
      ['notes.txt'],
    );
    assert.equal(hits, 1, 'the upload was looked up in the cache');
    assert.deepEqual(stored, [], 'the vector came from the cache, so nothing new was stored');
    // The same bytes again: the row the collection has, no new row.
    const again = await live.append([{name: 'copy.png', data: picture}]);
    assert.deepEqual(again.added, report.added);
    assert.equal(live.searcher.count, before + 1);
    closed = true;
    await live.close();
    const collection = await openCollection(join(root, 'embeddings'));
    assert.equal(collection.files.length, before + 1);
    assert.equal(collection.files[before], report.added[0]!.file);
  } finally {
    await rm(root, {recursive: true, force: true});
  }
});

test('a live collection takes in what other writers commit: new shards grow it, removed rows re-read it', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'vc-live-follow-'));
  try {
    const images = join(root, 'images');
    const embeddings = join(root, 'embeddings');
    const models = join(root, 'models');
    await cp(fixtureImages, images, {recursive: true});
    await rm(join(images, 'wide_1023x511.jpg'));
    const embed = () =>
      embedImages({
        imagesDir: images,
        embeddingsDir: embeddings,
        model: tinyClip,
        modelsDir: models,
        dtype: 'fp32',
        device: 'cpu',
      });
    await embed();
    const live = await openLiveCollection({
      embeddingsDir: embeddings,
      modelsDir: models,
      followIntervalMs: 0,
    });
    t.after(() => live.close());
    const first = live.searcher;
    const before = first.count;
    assert.equal((await live.search('a photo', 100)).length, before);

    // Another writer appends a shard: the same searcher grows by its rows.
    await cp(join(fixtureImages, 'wide_1023x511.jpg'), join(images, 'wide_1023x511.jpg'));
    await embed();
    const grown = await live.search('a photo', 100);
    assert.equal(grown.length, before + 1);
    assert.equal(live.searcher, first, 'grown in place, not re-read');
    assert.ok(grown.some((hit) => hit.file === 'wide_1023x511.jpg'));

    // Another writer removes a row (its file is gone): the collection is read again.
    await rm(join(images, 'gray_320x240.jpg'));
    await embed();
    const reread = await live.search('a photo', 100);
    assert.equal(reread.length, before);
    assert.notEqual(live.searcher, first);
    assert.ok(!reread.some((hit) => hit.file === 'gray_320x240.jpg'));
  } finally {
    await rm(root, {recursive: true, force: true});
  }
});
