/**
 * The query syntax as a table (input -> parsed terms, or the error and its message), then the images a query
 * names: local files and links, read through the downloader's checks before anything is decoded.
 */
import assert from 'node:assert/strict';
import {mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, test} from 'node:test';
import {parseQuery, type QueryTerm} from '../../source/core/search/query.js';
import {readQuerySources} from '../../source/core/search/query-sources.js';
import {FIXTURE_IMAGES_DIR, startImageServer} from '../helpers/image-server.js';

const text = (t: string, weight = 1): QueryTerm => ({kind: 'text', text: t, weight});

const parses: [string, QueryTerm[]][] = [
  ['"2:golden retriever" + beach - "text"', [text('golden retriever', 2), text('beach'), text('text', -1)]],
  ['2:beach + 0.5:"sea side"', [text('beach', 2), text('sea side', 0.5)]],
  ['"16:9 screen"', [text('16:9 screen')]],
  ['meet at 10:30', [text('meet at 10:30')]],
  [
    'cat + https://example.test/a/cat.JPG',
    [text('cat'), {kind: 'url', url: 'https://example.test/a/cat.JPG', weight: 1}],
  ],
  ['- 3*url:http://example.test/img?id=4', [{kind: 'url', url: 'http://example.test/img?id=4', weight: -3}]],
  ['"https://example.test/page"', [text('https://example.test/page')]],
  [
    'image:"my photos/x.png" + id:7',
    [
      {kind: 'image', image: 'my photos/x.png', weight: 1},
      {kind: 'row', row: 7, weight: 1},
    ],
  ],
];

const refusals: [string, RegExp][] = [
  ['"golden retriever', /unclosed quote/],
  ['beach + "2:golden', /unclosed quote/],
  ['"0:cat"', /weight 0/],
  ['0:cat', /weight 0/],
  ['0.0*"cat"', /weight 0/],
  ['"-2:cat"', /has a sign/],
  ['2:', /no term after it/],
  ['"2:"', /empty term/],
  ['"cat" "dog"', /put \+ or -/],
  ['image:', /no path/],
  ['id:x', /row number/],
  ['url:', /no link/],
  ['url:ftp://example.test/a.jpg', /not an http or https link/],
  ['url:https://', /not a valid link/],
  ['https://user:pw@example.test/a.jpg', /user name or password/],
  ['https://example.test/page', /not to an image file/],
];

test('query table: inputs and the terms they parse to', () => {
  for (const [input, terms] of parses) assert.deepEqual(parseQuery(input).terms, terms, input);
});

test('query table: refusals are UserErrors with a message naming the problem and a hint', () => {
  for (const [input, message] of refusals) {
    assert.throws(
      () => parseQuery(input),
      (error: Error & {hint?: string}) =>
        error.name === 'UserError' && message.test(error.message) && (error.hint ?? '').length > 10,
      input,
    );
  }
});

const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, {recursive: true, force: true});
});

test('image: terms are read and checked before embedding; unreadable ones are named', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vc-query-'));
  dirs.push(dir);
  const jpeg = await readFile(join(FIXTURE_IMAGES_DIR, 'photo_640x480.jpg'));
  await writeFile(join(dir, 'ok.jpg'), jpeg);
  await writeFile(join(dir, 'notes.txt'), 'just some words, not an image at all');
  await writeFile(join(dir, 'cut.jpg'), jpeg.subarray(0, 2000));
  await mkdir(join(dir, 'folder.jpg'));
  const read = await readQuerySources(parseQuery('"cat" + 2:image:ok.jpg'), {baseDir: dir});
  assert.deepEqual(read.terms[0], text('cat'));
  const image = read.terms[1] as {kind: string; image: Uint8Array; weight: number};
  assert.equal(image.kind, 'image');
  assert.equal(image.weight, 2);
  assert.deepEqual(Buffer.from(image.image), jpeg);

  for (const [name, message] of [
    ['missing.jpg', /cannot read the query image missing\.jpg: no such file/],
    ['folder.jpg', /folder\.jpg: it is a folder/],
    ['notes.txt', /cannot use notes\.txt as a query image: no image magic number/],
    ['cut.jpg', /cannot use cut\.jpg as a query image: .*cut short/],
  ] as const) {
    await assert.rejects(
      readQuerySources(parseQuery(`image:${name}`), {baseDir: dir}),
      (error: Error & {hint?: string}) => error.name === 'UserError' && message.test(error.message),
      name,
    );
  }
  await assert.rejects(
    readQuerySources(parseQuery('image:ok.jpg'), {baseDir: dir, maxBytes: 1000}),
    /over the 1000-byte limit/,
  );
});

test('link terms go through the downloader: real images pass, pages, huge bodies and 404s do not', async () => {
  const server = await startImageServer({count: 2});
  try {
    const url = `${server.origin}/image/0.jpg`;
    const read = await readQuerySources(parseQuery(`"dog" - 0.5*${url}`));
    const term = read.terms[1] as {kind: string; image: Uint8Array; weight: number};
    assert.equal(term.kind, 'image');
    assert.equal(term.weight, -0.5);
    assert.deepEqual(Buffer.from(term.image), Buffer.from(server.images[0]!));
    for (const [link, message] of [
      [`url:${server.origin}/image/0.jpg?fault=html`, /an HTML page/],
      [`url:${server.origin}/image/9.jpg`, /cannot fetch the query image .*HTTP 404/],
      [`url:${server.origin}/image/0.jpg?fault=huge:200000`, /over the 100000-byte limit/],
      [`url:${server.origin}/image/0.jpg?fault=cut:3000`, /cut short/],
      [`url:${server.origin}/image/0.jpg?fault=slow-headers:3000`, /no complete answer within 300 ms/],
    ] as const) {
      await assert.rejects(
        readQuerySources(parseQuery(link), {
          timeoutMs: link.includes('slow') ? 300 : 20_000,
          maxBytes: 100_000,
        }),
        (error: Error) => error.name === 'UserError' && message.test(error.message),
        link,
      );
    }
  } finally {
    await server.close();
  }
});
