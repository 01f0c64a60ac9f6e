import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {createHash} from 'node:crypto';
import {mkdtemp, readdir, readFile, rm, stat} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {openCollection} from '../../source/core/collection/reader.js';
import {openCollectionWriter} from '../../source/core/collection/writer.js';
import {scanDuplicates} from '../../source/core/duplicates/scan.js';
import {readUnicodeArray} from '../../source/core/npy.js';
import {MODEL, unitRows} from '../collection/helpers.js';
import {HANG_GUARD_MS} from '../helpers/hang-guard.js';
import {cli} from './cli.js';
import {makePhotoCollection} from './photo-collection.js';

let work: string;
const DIMS = 16;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'vc-dup-moves-'));
});
after(async () => {
  await rm(work, {recursive: true, force: true});
});

async function snapshot(images: string, embeddings: string) {
  const files = (await readdir(images, {recursive: true})).filter((name) => name.endsWith('.jpg')).sort();
  const bytes = await Promise.all(files.map((file) => readFile(join(images, file))));
  const collection = await openCollection(embeddings);
  const view = readUnicodeArray(await readFile(join(embeddings, 'image_filenames.npy')));
  return {files, bytes, rows: collection.files, matrix: collection.matrix.data, view};
}

test('move then undo: files go and come back, the collection never points at a moved file', async () => {
  const {images, embeddings} = await makePhotoCollection(join(work, 'round-trip'));
  const moveTo = join(work, 'round-trip', 'dups');
  const before = await snapshot(images, embeddings);

  const dry = cli('--embeddings', embeddings, '--move-to', moveTo, '--json');
  assert.equal(dry.code, 0, dry.stderr);
  const plan = JSON.parse(dry.stdout).plan as {moves: {file: string}[]};
  assert.equal(plan.moves.length, 6, 'two copies of each of three photos');
  assert.deepEqual((await snapshot(images, embeddings)).files, before.files, 'a dry run moves nothing');

  const moved = cli(
    '--embeddings',
    embeddings,
    '--move-to',
    moveTo,
    '--keep',
    'largest',
    '--apply',
    '--json',
  );
  assert.equal(moved.code, 0, moved.stderr);
  const applied = JSON.parse(moved.stdout).applied as {journalPath: string; tombstoned: number};
  assert.equal(applied.tombstoned, 6);
  const during = await snapshot(images, embeddings);
  const movedFiles = plan.moves.map((move) => move.file).sort();
  assert.deepEqual(
    during.files,
    before.files.filter((file) => !movedFiles.includes(file)),
  );
  assert.deepEqual([...during.rows].sort(), during.files, 'the collection lists exactly the files left');
  assert.deepEqual([...during.view].sort(), during.files, 'and so does the merged view');
  for (const file of movedFiles) await stat(join(moveTo, file));
  assert.ok(
    during.files.every((file) => /^photo-\d\.jpg$/.test(file)),
    'largest keeps the originals',
  );

  const undone = cli('--undo', '--move-to', moveTo, '--json');
  assert.equal(undone.code, 0, undone.stderr);
  assert.equal(JSON.parse(undone.stdout).rowsRestored, 6);
  const restored = await snapshot(images, embeddings);
  assert.deepEqual(restored, before);
});

test('kill -9 in the middle of the moves, then --undo: every file and row is back', async () => {
  const {images, embeddings} = await makePhotoCollection(join(work, 'killed'));
  const moveTo = join(work, 'killed', 'dups');
  const before = await snapshot(images, embeddings);
  const child = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'test/duplicates/children/move-and-die.ts', embeddings, moveTo, '3'],
    {encoding: 'utf8', timeout: HANG_GUARD_MS},
  );
  assert.equal(child.signal, 'SIGKILL', child.stderr);
  const during = await snapshot(images, embeddings);
  assert.equal(during.files.length, before.files.length - 3, 'three files moved before the kill');
  assert.equal(during.rows.length, before.rows.length - 6, 'all six planned rows were tombstoned first');
  for (const file of during.rows) await stat(join(images, file));
  assert.deepEqual([...during.view].sort(), [...during.rows].sort(), 'the merged view was rewritten first');

  const undone = cli('--undo', '--move-to', moveTo, '--json');
  assert.equal(undone.code, 0, undone.stderr);
  const report = JSON.parse(undone.stdout) as {undo: {counts: Record<string, number>}; rowsRestored: number};
  assert.equal(report.undo.counts.restored, 3);
  assert.equal(report.rowsRestored, 6);
  assert.deepEqual(await snapshot(images, embeddings), before);
});

test('--method clip groups the planted near-duplicate vectors and leaves the rest alone', async () => {
  const embeddings = join(work, 'planted');
  const count = 60;
  const rows = unitRows(count, 11, DIMS);
  // Rows 10-12 near row 3 (cosine ~0.99 and a chain), row 40 near row 20; every other pair is random.
  const near = (base: Float32Array, seed: number, amount: number) => {
    const noise = unitRows(1, seed, DIMS)[0]!;
    const mixed = base.map((value, i) => value + amount * noise[i]!);
    const norm = Math.hypot(...mixed);
    return mixed.map((value) => value / norm);
  };
  rows[10] = near(rows[3]!, 100, 0.12);
  rows[11] = near(rows[10]!, 101, 0.12);
  rows[12] = near(rows[3]!, 102, 0.1);
  rows[40] = near(rows[20]!, 103, 0.15);
  const names = rows.map((_, row) => `img-${String(row).padStart(2, '0')}.jpg`);
  const writer = await openCollectionWriter({embeddingsDir: embeddings, shardSize: 16});
  try {
    await writer.bind({imagesDir: join(work, 'planted-images'), model: MODEL, dims: DIMS});
    await writer.append({
      rows,
      filenames: names,
      images: names.map((name) => ({
        sha256: createHash('sha256').update(name).digest('hex'),
        bytes: 1,
        mtime_ms: 1,
      })),
    });
    await writer.commit();
  } finally {
    await writer.close();
  }
  const scan = await scanDuplicates({embeddingsDir: embeddings, method: 'clip', clipThreshold: 0.95});
  assert.deepEqual(
    scan.groups.map((group) => group.members.map((member) => member.row)),
    [
      [3, 10, 11, 12],
      [20, 40],
    ],
  );
  assert.ok(scan.groups.flatMap((group) => group.members).every((member) => member.clipScore! > 0.9));
  assert.equal(
    scan.groups[0]!.members[0]!.missing,
    'file gone',
    'sizes of absent files are reported, not thrown',
  );
});
