import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {readFile, rm, writeFile} from 'node:fs/promises';
import {join, resolve} from 'node:path';
import {after, test} from 'node:test';
import {fingerprintBytes} from '../../source/core/fs/file-checksums.js';
import {encodeUnicodeArray} from '../../source/core/npy.js';
import {HANG_GUARD_MS} from '../helpers/hang-guard.js';
import {goldenMatrix, MODELS_DIR, makeFixtureCollection} from './fixture-collection.js';

const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, {recursive: true, force: true});
});

function cli(...args: string[]) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'source/cli.tsx', 'search', ...args], {
    encoding: 'utf8',
    timeout: HANG_GUARD_MS,
  });
  return {code: result.status, stdout: result.stdout, stderr: result.stderr};
}

test('search --json prints {"results": [{rank, file, score}]} in the reference order', async () => {
  const {dir, images} = await makeFixtureCollection();
  dirs.push(dir);
  const {code, stdout, stderr} = cli(
    'a',
    'photo',
    'of',
    'a',
    'dog',
    '--dir',
    dir,
    '--models-dir',
    MODELS_DIR,
    '-k',
    '3',
    '--json',
  );
  assert.equal(code, 0, stderr);
  const report = JSON.parse(stdout) as {
    results: {rank: number; file: string; score: number}[];
    model: string;
  };
  const similarity = await goldenMatrix('similarity.npy');
  const expected = images
    .map((file, row) => ({file, score: similarity.data[row * 15]!}))
    .sort((a, b) => b.score - a.score)
    .slice(0, 3);
  assert.deepEqual(
    report.results.map((result) => Object.keys(result)),
    [
      ['rank', 'file', 'score'],
      ['rank', 'file', 'score'],
      ['rank', 'file', 'score'],
    ],
  );
  assert.deepEqual(
    report.results.map((result) => [result.rank, result.file]),
    expected.map((entry, index) => [index + 1, entry.file]),
  );
  for (const [index, result] of report.results.entries())
    assert.ok(Math.abs(result.score - expected[index]!.score) < 1e-6);
  assert.equal(report.model, 'tiny-clip');
});

test('--build-index then --index hnsw; plain output; bad input exits 2 with a fix', async () => {
  const {dir} = await makeFixtureCollection();
  dirs.push(dir);
  const built = cli('--build-index', '--dir', dir, '--json');
  assert.equal(built.code, 0, built.stderr);
  assert.equal(
    (JSON.parse(built.stdout) as {builtIndex: {recall: {recall: number}}}).builtIndex.recall.recall,
    1,
  );
  const plain = cli(
    '"a photo of a dog" - "a red car"',
    '--image',
    'test/fixtures/images/square_224.png',
    '--dir',
    dir,
    '--models-dir',
    MODELS_DIR,
    '--index',
    'hnsw',
  );
  assert.equal(plain.code, 0, plain.stderr);
  assert.match(
    plain.stdout,
    /^"a photo of a dog" - "a red car" \+ image:.*square_224\.png: top 8 of 8 \(tiny-clip fp32, hnsw search\)/,
  );
  assert.match(plain.stdout, /\n {2}1 {2}[ -]\d\.\d{4} {2}\S+\.(png|jpg|webp) {2}\(id:\d\)\n/);
  const empty = cli('--dir', dir);
  assert.equal(empty.code, 2);
  assert.match(empty.stderr, /error: nothing to search for\n {2}fix: give a text query/);
});

test('a mixed set (filenames that are not the ones metadata.json fingerprints) is refused with exit 2 and a fix', async () => {
  const {dir, images} = await makeFixtureCollection();
  dirs.push(dir);
  // As embed writes it: metadata.json records each .npy's size and sha256.
  const read = (name: string) => readFile(join(dir, name));
  const metadata = {
    model: {name: 'tiny-clip', path: resolve('test/fixtures/tiny-clip'), dtype: 'fp32'},
    files: {
      'image_embeddings.npy': fingerprintBytes(await read('image_embeddings.npy')),
      'image_filenames.npy': fingerprintBytes(await read('image_filenames.npy')),
    },
  };
  await writeFile(join(dir, 'metadata.json'), JSON.stringify(metadata));
  const args = ['a', 'dog', '--dir', dir, '--models-dir', MODELS_DIR, '-k', '1'];
  assert.equal(cli(...args).code, 0, 'the set as written searches');
  // Another run's names, same count: every row would come back under another file's name.
  await writeFile(
    join(dir, 'image_filenames.npy'),
    encodeUnicodeArray(images.map((name) => `other/${name}`)),
  );
  const mixed = cli(...args);
  assert.equal(mixed.code, 2, mixed.stderr);
  assert.equal(mixed.stdout, '');
  assert.match(
    mixed.stderr,
    /error: the outputs in .* are not the set metadata\.json describes: image_filenames\.npy \(/,
  );
  assert.match(mixed.stderr, /fix: embed again into .* to write a matching set/);
});
