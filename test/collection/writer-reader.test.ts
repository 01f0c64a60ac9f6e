import assert from 'node:assert/strict';
import {mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {readManifest, writeManifest} from '../../source/core/collection/manifest.js';
import {openCollection} from '../../source/core/collection/reader.js';
import {openCollectionWriter} from '../../source/core/collection/writer.js';
import {appendRows, boundWriter, concat, DIMS, imageFacts, leftovers, MODEL, unitRows} from './helpers.js';

let work: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'vc-collection-'));
});
after(async () => {
  await rm(work, {recursive: true, force: true});
});

const names = (prefix: string, count: number) => Array.from({length: count}, (_, i) => `${prefix}${i}.jpg`);

test('rows appended across shards read back in order, live rows only; each append changes the fingerprint', async () => {
  const dir = join(work, 'round-trip');
  const first = await appendRows(dir, names('a', 10), 1, 4);
  const opened = await openCollection(dir);
  assert.deepEqual(
    opened.state.shards.map((shard) => [shard.id, shard.rows]),
    [
      ['00000000', 4],
      ['00000001', 4],
      ['00000002', 2],
    ],
  );
  assert.deepEqual(opened.files, names('a', 10));
  assert.deepEqual(opened.matrix.data, concat(first));
  assert.equal(opened.matrix.dims, DIMS);
  const second = await appendRows(dir, names('b', 3), 2, 4);
  const grown = await openCollection(dir);
  assert.deepEqual(grown.files, [...names('a', 10), ...names('b', 3)]);
  assert.deepEqual(grown.matrix.data, concat([...first, ...second]));
  assert.notEqual(grown.fingerprint, opened.fingerprint);
  assert.deepEqual(await leftovers(dir), []);

  // Tombstones leave rows out of every read without touching the shard.
  const writer = await boundWriter(dir);
  await writer.tombstone([{shard: '00000001', row: 1, file: 'a5.jpg', reason: 'deleted'}]);
  await writer.close();
  const pruned = await openCollection(dir);
  assert.equal(pruned.files.length, 12);
  assert.ok(!pruned.files.includes('a5.jpg'));
  assert.deepEqual(pruned.matrix.data.subarray(5 * DIMS, 6 * DIMS), first[6]);
  assert.notEqual(pruned.fingerprint, grown.fingerprint);
});

test('another model, dtype, preprocessing or images folder refuses to mix, naming the fix', async () => {
  const dir = join(work, 'mix');
  await appendRows(dir, names('a', 2), 3);
  const cases: [Partial<typeof MODEL> & {dims?: number; imagesDir?: string}, RegExp][] = [
    [{dtype: 'q8'}, /synthetic fp32 .* this run makes synthetic q8/],
    [{name: 'other'}, /this run makes other fp32/],
    [{preprocess_version: 'test-2'}, /preprocessing test-2/],
    [{dims: 8}, /16-d.* this run makes .*8-d/],
    [{imagesDir: '/elsewhere'}, /its images come from \/nowhere\/images, not \/elsewhere/],
  ];
  for (const [change, message] of cases) {
    const writer = await openCollectionWriter({embeddingsDir: dir});
    try {
      const {dims, imagesDir, ...model} = change;
      await assert.rejects(
        writer.bind({
          imagesDir: imagesDir ?? '/nowhere/images',
          model: {...MODEL, ...model},
          dims: dims ?? DIMS,
        }),
        (error: Error & {hint?: string}) => {
          assert.equal(error.name, 'UserError');
          assert.match(error.message, /cannot add to the collection in .*mix: /);
          assert.match(error.message, message);
          assert.match(error.hint ?? '', /another embeddings folder, or add --replace/);
          return true;
        },
      );
    } finally {
      await writer.close();
    }
  }
  // --replace starts over with the new model; the old shards go at its first commit.
  const writer = await openCollectionWriter({embeddingsDir: dir, replace: true});
  await writer.bind({imagesDir: '/nowhere/images', model: {...MODEL, dtype: 'q8'}, dims: DIMS});
  assert.deepEqual(await writer.liveRows(), []);
  await writer.append({rows: unitRows(1, 9), filenames: ['z.jpg'], images: imageFacts(['z.jpg'])});
  await writer.commit();
  await writer.close();
  const replaced = await openCollection(dir);
  assert.deepEqual(replaced.files, ['z.jpg']);
  assert.equal(replaced.header.model.dtype, 'q8');
  assert.deepEqual(await leftovers(dir), []);
});

test('a second writer is refused while the first holds the lock, with its pid and command', async () => {
  const dir = join(work, 'locked');
  const first = await openCollectionWriter({embeddingsDir: dir, command: 'visual-cortex embed --test'});
  try {
    await assert.rejects(openCollectionWriter({embeddingsDir: dir}), (error: Error & {hint?: string}) => {
      assert.match(
        error.message,
        new RegExp(`in use by process ${process.pid} \\(visual-cortex embed --test\\)`),
      );
      assert.match(error.hint ?? '', new RegExp(`kill ${process.pid}`));
      return true;
    });
  } finally {
    await first.close();
  }
  // A lock left by a process that is gone is taken over.
  await mkdir(dir, {recursive: true});
  await writeFile(join(dir, '.lock'), JSON.stringify({pid: 2 ** 22 + 12345, started: 'long ago'}));
  const next = await openCollectionWriter({embeddingsDir: dir});
  await next.close();
});

test('commitShard under a caller id is idempotent by content; other rows under a used id are an error', async () => {
  const dir = join(work, 'cluster');
  const rows = unitRows(3, 4);
  const shard = {
    id: 'job-0001',
    rows,
    filenames: names('c', 3),
    images: imageFacts(names('c', 3)),
    source: 'job-0001',
  };
  const writer = await boundWriter(dir);
  try {
    assert.equal((await writer.commitShard(shard)).existed, false);
    assert.equal((await writer.commitShard(shard)).existed, true);
    await assert.rejects(
      writer.commitShard({...shard, rows: unitRows(3, 5)}),
      /shard job-0001 was committed before with other rows/,
    );
  } finally {
    await writer.close();
  }
  const opened = await openCollection(dir);
  assert.deepEqual(opened.files, names('c', 3));
  assert.equal((await readManifest(dir))?.shards.length, 1);
  assert.deepEqual(await leftovers(dir), []);
});

test('a shard the manifest missed is read and then adopted; a lost one is refused by readers, dropped by writers', async () => {
  const dir = join(work, 'orphan');
  await appendRows(dir, names('a', 8), 6, 4);
  const manifest = (await readManifest(dir))!;
  // A writer killed between the shard's rename and the manifest's leaves this.
  await writeManifest(dir, {...manifest, shards: manifest.shards.slice(0, 1)});
  const opened = await openCollection(dir);
  assert.deepEqual(opened.files, names('a', 8));
  assert.match(opened.notes.join('\n'), /shard 00000001 is committed but not in the manifest yet/);
  const writer = await openCollectionWriter({embeddingsDir: dir});
  assert.deepEqual(writer.adopted, ['00000001']);
  await writer.close();
  assert.equal((await readManifest(dir))?.shards.length, 2);

  await rm(join(dir, 'shards', '00000000'), {recursive: true});
  await assert.rejects(openCollection(dir), (error: Error & {hint?: string}) => {
    assert.match(error.message, /lists shard 00000000 but it is gone/);
    assert.match(error.hint ?? '', /run 'visual-cortex embed'/);
    return true;
  });
  const dropping = await openCollectionWriter({embeddingsDir: dir});
  assert.deepEqual(dropping.dropped, ['00000000']);
  await dropping.close();
  assert.deepEqual((await openCollection(dir)).files, names('a', 8).slice(4));
});

test('a damaged shard is refused with the fix; temp files of dead writers are removed on open', async () => {
  const dir = join(work, 'damaged');
  await appendRows(dir, names('a', 4), 7, 4);
  const path = join(dir, 'shards', '00000000', 'embeddings.npy');
  const bytes = await readFile(path);
  bytes[bytes.length - 1]! ^= 1;
  await writeFile(path, bytes);
  await assert.rejects(openCollection(dir), (error: Error & {hint?: string}) => {
    assert.match(
      error.message,
      /shard 00000000 .* is damaged: embeddings\.npy does not match its recorded SHA-256/,
    );
    assert.match(error.hint ?? '', /delete the folder .*shards\/00000000, then run 'visual-cortex embed'/);
    return true;
  });

  const dead = 2 ** 22 + 4321;
  await mkdir(join(dir, 'shards', `.tmp-shard-${dead}-0000000a`));
  await writeFile(join(dir, 'shards', `.tmp-shard-${dead}-0000000a`, 'embeddings.npy'), 'half');
  await mkdir(join(dir, 'views', `.tmp-view-${dead}-0000000b`), {recursive: true});
  await writeFile(join(dir, `.tmp-manifest.json-${dead}-0000000c`), '{');
  await writeFile(join(dir, `.tmp-image_embeddings.npy-stream-${dead}-abc`), 'rows');
  // An index build of a live process (it takes no lock) is left alone.
  await writeFile(join(dir, `.tmp-image_embeddings.hnsw-${process.ppid}`), 'index');
  const writer = await openCollectionWriter({embeddingsDir: dir});
  assert.equal(writer.removedTemps.length, 4);
  await writer.close();
  assert.deepEqual(await leftovers(dir), [`.tmp-image_embeddings.hnsw-${process.ppid}`]);
});
