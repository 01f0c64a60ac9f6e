import assert from 'node:assert/strict';
import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {pathToFileURL} from 'node:url';
import {
  assignShardIds,
  CLUSTER_DEFAULT_SEED,
  cutSource,
  shardId,
  shardItems,
} from '../../source/core/cluster/shard-specs.js';
import {fillTemplate, seedFor} from '../../source/core/download/providers.js';
import {UserError} from '../../source/core/errors.js';

let work: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'vc-shard-specs-'));
});
after(async () => {
  await rm(work, {recursive: true, force: true});
});

const size = {width: 64, height: 48};

test('a URL list is cut by its URL lines, blank lines and comments skipped; ids from the first shard on', async () => {
  const lines = ['# header', ...Array.from({length: 10}, (_, i) => `http://h/${i}.jpg`)];
  lines.splice(4, 0, '', '   ');
  const urls = join(work, 'list.txt');
  await writeFile(urls, `${lines.join('\n')}\n`);
  const cut = await cutSource({provider: 'urls', urls, ...size}, 4);
  assert.equal(cut.images, 10);
  assert.deepEqual(
    cut.pieces.map((piece) => [piece.first, piece.count]),
    [
      [0, 4],
      [4, 4],
      [8, 2],
    ],
  );
  const specs = assignShardIds(cut, 7);
  assert.deepEqual(
    specs.map((spec) => spec.id),
    ['00000007', '00000008', '00000009'],
  );
  const second = specs[1]!.source;
  assert.equal(second.kind, 'urls');
  assert.deepEqual(second.kind === 'urls' && second.urls, [
    'http://h/4.jpg',
    'http://h/5.jpg',
    'http://h/6.jpg',
    'http://h/7.jpg',
  ]);
  // Line numbers are the file's, so a message can point into the list.
  assert.deepEqual(second.kind === 'urls' && second.lines, [8, 11]);
  assert.deepEqual(
    shardItems(second).map((item) => item.url),
    second.kind === 'urls' ? second.urls : [],
  );

  const again = await cutSource({provider: 'urls', urls, ...size}, 4);
  assert.equal(again.fingerprint, cut.fingerprint, 'the same source cuts the same way');
  const other = await cutSource({provider: 'urls', urls, ...size}, 5);
  assert.notEqual(other.fingerprint, cut.fingerprint);
  const capped = await cutSource({provider: 'urls', urls, count: 5, ...size}, 4);
  assert.equal(capped.images, 5);
});

test('seeded picsum and URL templates are index ranges that expand to the URLs the downloader would fetch', async () => {
  const picsum = await cutSource({provider: 'picsum', count: 7, picsumBaseUrl: 'http://p/', ...size}, 3);
  assert.deepEqual(
    picsum.pieces.map((piece) => piece.source),
    [
      {kind: 'picsum', base: 'http://p', seed: CLUSTER_DEFAULT_SEED, ...size, from: 0, to: 3},
      {kind: 'picsum', base: 'http://p', seed: CLUSTER_DEFAULT_SEED, ...size, from: 3, to: 6},
      {kind: 'picsum', base: 'http://p', seed: CLUSTER_DEFAULT_SEED, ...size, from: 6, to: 7},
    ],
  );
  assert.deepEqual(
    shardItems(picsum.pieces[1]!.source).map((item) => item.url),
    [3, 4, 5].map((i) => `http://p/seed/${CLUSTER_DEFAULT_SEED}-${i}/64/48`),
  );

  const template = 'http://t/{width}x{height}/{index}?s={seed}';
  const custom = await cutSource({provider: 'custom', url: template, count: 5, seed: 'abc', ...size}, 2);
  assert.deepEqual(
    shardItems(custom.pieces[2]!.source).map((item) => item.url),
    [fillTemplate(template, {...size, index: 4, seed: seedFor('abc', 4)})],
  );

  const ids = await cutSource(
    {provider: 'picsum', picsumIds: [10, 11, 12], picsumBaseUrl: 'http://p', ...size},
    2,
  );
  assert.deepEqual(shardItems(ids.pieces[1]!.source), [{url: 'http://p/id/12/64/48'}]);
});

test('a folder is cut by its sorted file list; workers read the files in place', async () => {
  const root = join(work, 'photos');
  await mkdir(join(root, 'b'), {recursive: true});
  for (const name of ['z.jpg', 'a.png', 'b/c.jpg', '.hidden.jpg', 'notes.txt'])
    await writeFile(join(root, name), 'x');
  const cut = await cutSource({provider: 'local', sourceDir: root, ...size}, 2);
  assert.deepEqual(
    cut.pieces.map((piece) => piece.source),
    [
      {kind: 'files', root, names: ['a.png', 'b/c.jpg']},
      {kind: 'files', root, names: ['z.jpg']},
    ],
  );
  assert.deepEqual(shardItems(cut.pieces[1]!.source), [
    {url: pathToFileURL(join(root, 'z.jpg')).href, localPath: join(root, 'z.jpg')},
  ]);
});

test('sources without stable ids or an end are refused with the fix', async () => {
  await assert.rejects(cutSource({provider: 'unsplash', ...size}, 4), (error: unknown) => {
    assert.ok(error instanceof UserError);
    assert.match(error.hint ?? '', /--provider local/);
    return true;
  });
  await assert.rejects(cutSource({provider: 'picsum', ...size}, 4), /--count|no end/);
  await assert.rejects(cutSource({provider: 'custom', url: 'http://t/{index}', ...size}, 4), /no end/);
  await assert.rejects(cutSource({provider: 'picsum', count: 3, ...size}, 0), /--shard-size/);
  const empty = join(work, 'empty.txt');
  await writeFile(empty, '# nothing\n');
  await assert.rejects(cutSource({provider: 'urls', urls: empty, ...size}, 4), /no images/);
});

test('shard ids are 8 digits, never a bare integer (BullMQ refuses integer job ids)', () => {
  assert.equal(shardId(0), '00000000');
  assert.equal(shardId(1234), '00001234');
  assert.equal(shardId(9_999_999), '09999999');
  for (const id of [0, 5, 9_999_999].map(shardId)) assert.notEqual(String(Number.parseInt(id, 10)), id);
  assert.throws(
    () => shardId(10_000_000),
    (error: unknown) => error instanceof UserError && /--shard-size/.test(error.hint ?? ''),
  );
});
