import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {mkdir, mkdtemp, readdir, readFile, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {COPY_EDITS, encodeJpeg, renderPhoto} from '../../bench/synthetic-photos.js';
import {readLiveRows} from '../../source/core/collection/live-index.js';
import {openCollection} from '../../source/core/collection/reader.js';
import {embedImages} from '../../source/core/embed/embed-images.js';
import {decodeImageRgb} from '../../source/core/image/decode-image.js';
import {hammingDistance, perceptualHash, phashFromHex, phashToHex} from '../../source/core/image/phash.js';
import {fixtureEmbedOptions} from '../embed/helpers.js';
import {cli} from './cli.js';

let work: string;
let images: string;
let embeddings: string;
/** Originals 0-3 have four edited copies each; 4-7 have none. */
const ORIGINALS = 8;
const WITH_COPIES = 4;
const EDITS = Object.entries(COPY_EDITS);
const slug = (edit: string) => edit.replace(/[^a-z0-9]+/gi, '-').replace(/-$/, '');

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'vc-dups-'));
  images = join(work, 'images');
  embeddings = join(work, 'embeddings');
  await mkdir(join(images, 'copies'), {recursive: true});
  for (let seed = 0; seed < ORIGINALS; seed++) {
    // Seeds 1-8 at 800 x 600, the photos docs/duplicates.md measured (on other seeds ~1 in 10 crops is > 10 bits).
    const original = await encodeJpeg(renderPhoto(seed + 1));
    await writeFile(join(images, `photo-${seed}.jpg`), original);
    if (seed >= WITH_COPIES) continue;
    for (const [edit, make] of EDITS)
      await writeFile(join(images, 'copies', `photo-${seed}-${slug(edit)}.jpg`), await make(original));
  }
  // An exact copy under another name.
  await writeFile(join(images, 'copies', 'photo-5-again.jpg'), await readFile(join(images, 'photo-5.jpg')));
  await embedImages(
    fixtureEmbedOptions(work, {imagesDir: images, embeddingsDir: embeddings, batchSize: 4, shardSize: 8}),
  );
});
after(async () => {
  await rm(work, {recursive: true, force: true});
});

interface Report {
  rows: number;
  groups: {kind: string; keep: string; members: {file: string; width: number; phashDistance?: number}[]}[];
  duplicateRows: number;
  notes: string[];
  hashesComputed: number;
}

const groupNames = (report: Report) => report.groups.map((group) => group.members.map((m) => m.file).sort());

function expectedGroups(): string[][] {
  const groups = Array.from({length: WITH_COPIES}, (_, seed) =>
    [`photo-${seed}.jpg`, ...EDITS.map(([edit]) => `copies/photo-${seed}-${slug(edit)}.jpg`)].sort(),
  );
  return [...groups, ['copies/photo-5-again.jpg', 'photo-5.jpg']];
}

test('the embed stores each row its perceptual hash, the one its decoded pixels give', async () => {
  const collection = await openCollection(embeddings);
  for (const shard of await readdir(join(embeddings, 'shards'))) {
    const info = JSON.parse(await readFile(join(embeddings, 'shards', shard, 'shard.json'), 'utf8'));
    assert.ok(Array.isArray(info.images.phash), `shard ${shard} has a phash column`);
    assert.equal(info.images.phash.length, info.rows);
  }
  const stored = new Map<string, string>();
  for (const row of await readLiveRows(collection.state)) stored.set(row.file, row.phash!);
  assert.equal(stored.size, ORIGINALS + WITH_COPIES * EDITS.length + 1);
  for (const [file, hash] of stored)
    assert.equal(hash, phashToHex(perceptualHash(await decodeImageRgb(join(images, file)))), file);
});

test('--method phash groups every edited copy with its original and no distinct photos', async () => {
  const {code, stdout, stderr} = cli('--embeddings', embeddings, '--method', 'phash', '--json');
  assert.equal(code, 0, stderr);
  const report = JSON.parse(stdout) as Report;
  assert.equal(report.rows, ORIGINALS + WITH_COPIES * EDITS.length + 1);
  assert.deepEqual(groupNames(report).sort(), expectedGroups().sort());
  assert.deepEqual(
    report.groups.map((group) => group.members.length),
    [5, 5, 5, 5, 2],
  );
  assert.equal(report.groups.at(-1)!.kind, 'exact');
  for (const group of report.groups.slice(0, 4)) {
    assert.equal(group.kind, 'near');
    const kept = group.members.find((member) => member.file === group.keep)!;
    assert.equal(kept.width, 800, 'largest keeps a full-size member');
    assert.ok(group.members.every((member) => member.width > 0));
  }
  assert.equal(report.hashesComputed, 0);
});

test('distinct photos are far apart and copies close (the distances docs/duplicates.md records)', async () => {
  const rows = await readLiveRows((await openCollection(embeddings)).state);
  const hash = new Map(rows.map((row) => [row.file, phashFromHex(row.phash!)]));
  const copies: number[] = [];
  for (let seed = 0; seed < WITH_COPIES; seed++)
    for (const [edit] of EDITS)
      copies.push(
        hammingDistance(hash.get(`photo-${seed}.jpg`)!, hash.get(`copies/photo-${seed}-${slug(edit)}.jpg`)!),
      );
  const distinct: number[] = [];
  for (let a = 0; a < ORIGINALS; a++)
    for (let b = a + 1; b < ORIGINALS; b++)
      distinct.push(hammingDistance(hash.get(`photo-${a}.jpg`)!, hash.get(`photo-${b}.jpg`)!));
  assert.ok(Math.max(...copies) <= 10, `copies ${copies.join(',')}`);
  assert.ok(Math.min(...distinct) > 10, `distinct ${distinct.join(',')}`);
});

test('shards without hashes get them made from the files, with a note', async () => {
  const copy = join(work, 'old-embeddings');
  spawnSync('cp', ['-a', embeddings, copy]);
  for (const shard of await readdir(join(copy, 'shards'))) {
    const path = join(copy, 'shards', shard, 'shard.json');
    const info = JSON.parse(await readFile(path, 'utf8'));
    delete info.images.phash;
    await writeFile(path, JSON.stringify(info));
  }
  const {code, stdout, stderr} = cli('--embeddings', copy, '--json');
  assert.equal(code, 0, stderr);
  const report = JSON.parse(stdout) as Report;
  assert.deepEqual(groupNames(report).sort(), expectedGroups().sort());
  assert.equal(report.hashesComputed, report.rows);
  assert.match(report.notes.join('\n'), /had no stored perceptual hash/);
});

test('plain text names each group, its files, sizes and scores', () => {
  const {code, stdout} = cli('--embeddings', embeddings);
  assert.equal(code, 0);
  assert.match(stdout, /^5 groups of duplicates among 25 images: 17 to spare/);
  assert.match(
    stdout,
    /group 1 {2}near {2}5 files\n {2}(keep|dup ) {2}copies\/photo-0-5-centre-crop\.jpg +760x570/,
  );
  assert.match(stdout, /dup +copies\/photo-0-resized-to-half\.jpg +400x300 .* phash \d+ bits/);
  assert.match(stdout, /group 5 {2}exact {2}2 files/);
});

test('user errors exit 2 with the fix', async () => {
  const cases: [string[], RegExp][] = [
    [['--embeddings', join(work, 'nothing')], /not a collection/],
    [['--embeddings', embeddings, '--threshold', '40'], /out of range for the perceptual hash/],
    [['--embeddings', embeddings, '--method', 'clip', '--threshold', '1.5'], /cosine in \(0, 1\]/],
    [['--embeddings', embeddings, '--method', 'both', '--threshold', '8'], /ambiguous/],
    [['--embeddings', embeddings, '--method', 'md5'], /unknown method/],
    [['--embeddings', embeddings, '--move-to', join(images, 'dups')], /inside the images folder/],
    [['--embeddings', embeddings, '--apply'], /--move-to DIR, which is missing/],
    [['--undo'], /needs the journal/],
  ];
  for (const [args, message] of cases) {
    const {code, stderr} = cli(...args);
    assert.equal(code, 2, `${args.join(' ')}: ${stderr}`);
    assert.match(stderr, message);
    assert.match(stderr, /fix: /);
    assert.doesNotMatch(stderr, /at .*\.ts:\d+/);
  }
});
