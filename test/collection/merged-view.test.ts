import assert from 'node:assert/strict';
import {execFileSync, spawn} from 'node:child_process';
import {lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {fileURLToPath} from 'node:url';
import {readManifest} from '../../source/core/collection/manifest.js';
import {mergeCollection} from '../../source/core/collection/merge.js';
import {openCollection} from '../../source/core/collection/reader.js';
import {openCollectionWriter} from '../../source/core/collection/writer.js';
import {encodeFloat32Matrix, encodeUnicodeArray, readFloat32Matrix} from '../../source/core/npy.js';
import {appendRows, concat, DIMS, leftovers, sha256File} from './helpers.js';

let work: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'vc-view-'));
});
after(async () => {
  await rm(work, {recursive: true, force: true});
});

const names = (prefix: string, count: number) => Array.from({length: count}, (_, i) => `${prefix}/${i}.jpg`);

async function merge(dir: string) {
  const writer = await openCollectionWriter({embeddingsDir: dir});
  try {
    return await writer.writeMergedView();
  } finally {
    await writer.close();
  }
}

test("the merged view is byte for byte what the seed's writer makes of the live rows, and numpy loads it", async () => {
  const dir = join(work, 'bytes');
  const rows = await appendRows(dir, names('a', 9), 1, 4);
  const writer = await openCollectionWriter({embeddingsDir: dir});
  await writer.tombstone([{shard: '00000001', row: 0, file: 'a/4.jpg', reason: 'deleted'}]);
  await writer.close();
  const view = await merge(dir);
  assert.ok(view);
  const live = rows.filter((_, index) => index !== 4);
  const liveNames = names('a', 9).filter((_, index) => index !== 4);
  assert.deepEqual(
    await readFile(join(dir, 'image_embeddings.npy')),
    Buffer.from(encodeFloat32Matrix(concat(live), live.length, DIMS)),
  );
  assert.deepEqual(
    await readFile(join(dir, 'image_filenames.npy')),
    Buffer.from(encodeUnicodeArray(liveNames)),
  );
  const metadata = JSON.parse(await readFile(join(dir, 'metadata.json'), 'utf8'));
  assert.equal(metadata.schema_version, 2);
  assert.equal(metadata.counts.ok, 8);
  assert.deepEqual(metadata.collection.shard_ids, ['00000000', '00000001', '00000002']);
  assert.equal(metadata.collection.tombstones, 1);
  const script = `
import hashlib, json, numpy as np, sys
d = sys.argv[1]
e = np.load(d + '/image_embeddings.npy', allow_pickle=False)
f = np.load(d + '/image_filenames.npy', allow_pickle=False)
m = json.load(open(d + '/metadata.json'))
sha = {n: hashlib.sha256(open(d + '/' + n, 'rb').read()).hexdigest() for n in m['files']}
print(json.dumps({'shape': list(e.shape), 'dtype': str(e.dtype), 'names': f.tolist(),
  'sha_ok': all(sha[n] == m['files'][n]['sha256'] for n in sha)}))
`;
  const numpy = JSON.parse(execFileSync('python3', ['-c', script, dir], {encoding: 'utf8'}));
  assert.deepEqual(numpy, {shape: [8, DIMS], dtype: 'float32', names: liveNames, sha_ok: true});

  // The top-level names go through one `view` link; the generation before is kept, older ones removed.
  assert.equal(await readlink(join(dir, 'image_embeddings.npy')), join('view', 'image_embeddings.npy'));
  assert.equal(await readlink(join(dir, 'view')), join('views', '00000000'));
  await merge(dir);
  await merge(dir);
  assert.equal(await readlink(join(dir, 'view')), join('views', '00000002'));
  assert.deepEqual((await readdir(join(dir, 'views'))).sort(), ['00000001', '00000002']);
  assert.deepEqual(await leftovers(dir), []);
});

test('a folder of plain outputs from an earlier version becomes a collection with linked view files', async () => {
  const dir = join(work, 'plain');
  await mkdir(dir);
  for (const name of ['image_embeddings.npy', 'image_filenames.npy', 'metadata.json'])
    await writeFile(join(dir, name), 'an earlier run');
  await appendRows(dir, names('p', 3), 2);
  // Until the view is written the old files stay as they were.
  assert.equal(await readFile(join(dir, 'metadata.json'), 'utf8'), 'an earlier run');
  await merge(dir);
  for (const name of ['image_embeddings.npy', 'image_filenames.npy', 'metadata.json'])
    assert.ok((await lstat(join(dir, name))).isSymbolicLink(), name);
  assert.equal(readFloat32Matrix(await readFile(join(dir, 'image_embeddings.npy'))).rows, 3);
});

test('merge adds shards the manifest missed; a folder that is not a collection is a user error', async () => {
  const dir = join(work, 'adopt');
  await appendRows(dir, names('m', 6), 3, 2);
  const manifest = (await readManifest(dir))!;
  await writeFile(
    join(dir, 'manifest.json'),
    JSON.stringify({...manifest, shards: manifest.shards.slice(0, 1)}),
  );
  const events: string[] = [];
  const report = await mergeCollection({embeddingsDir: dir, onEvent: (event) => events.push(event.type)});
  assert.deepEqual(report.adopted, ['00000001', '00000002']);
  assert.equal(report.liveRows, 6);
  assert.equal(report.interrupted, false);
  assert.deepEqual(events, ['opened', 'shard', 'shard', 'shard', 'done']);
  assert.equal(readFloat32Matrix(await readFile(join(dir, 'image_embeddings.npy'))).rows, 6);
  const stopped = new AbortController();
  stopped.abort();
  const interrupted = await mergeCollection({embeddingsDir: dir, signal: stopped.signal});
  assert.equal(interrupted.interrupted, true);
  assert.equal(await readlink(join(dir, 'view')), join('views', '00000000'));
  assert.deepEqual(await leftovers(dir), []);
  await assert.rejects(mergeCollection({embeddingsDir: join(work, 'nothing')}), {
    name: 'UserError',
    message: /is not a collection \(no manifest\.json\), so there is nothing to merge/,
  });
});

/** The view as a reader sees it: its files agree with the checksums and counts its metadata records. */
async function checkViewWhole(dir: string): Promise<number> {
  const metadata = JSON.parse(await readFile(join(dir, 'metadata.json'), 'utf8'));
  for (const name of ['image_embeddings.npy', 'image_filenames.npy'])
    assert.equal(await sha256File(join(dir, name)), metadata.files[name].sha256, name);
  const rows = readFloat32Matrix(await readFile(join(dir, 'image_embeddings.npy'))).rows;
  assert.equal(rows, metadata.counts.ok);
  return rows;
}

test('kill -9 while a child grows the collection and switches views: always one whole view, then no leftovers', async (t) => {
  const dir = join(work, 'killed');
  const child = fileURLToPath(new URL('children/grow-and-merge.ts', import.meta.url));
  let kills = 0;
  for (let attempt = 0; attempt < 6; attempt++) {
    const running = spawn(process.execPath, ['--import', 'tsx', child, dir, String(attempt * 1000)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let merged = 0;
    running.stdout.on('data', (chunk: Buffer) => {
      merged += chunk.toString().split('merged').length - 1;
    });
    // Wait for a view, then kill at a random moment within the next rounds.
    while (merged === 0 && running.exitCode === null) await new Promise((resolve) => setTimeout(resolve, 20));
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 400));
    running.kill('SIGKILL');
    await new Promise((resolve) => running.once('exit', resolve));
    kills++;
    const rows = await checkViewWhole(dir);
    const collection = await openCollection(dir);
    assert.equal(new Set(collection.files).size, collection.files.length, 'no image twice');
    assert.ok(rows <= collection.files.length);
    t.diagnostic(
      `kill ${kills}: after ${merged} views, the view has ${rows} of ${collection.files.length} rows`,
    );
  }
  // The next writer clears what the killed ones left, and its view covers every row.
  await merge(dir);
  assert.equal(await checkViewWhole(dir), (await openCollection(dir)).files.length);
  assert.deepEqual(await leftovers(dir), []);
});
