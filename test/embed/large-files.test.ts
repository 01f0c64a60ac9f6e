/**
 * Large files that are not images cost a few bytes each, not their size: a video beside the photos is skipped by
 * name, one named .jpg is refused from its first bytes, and a file that starts like a JPEG but is larger than one
 * image may be is refused from its size. The files are sparse (no disk used); the embed runs in a child process
 * so that its peak RSS is its own.
 */
import assert from 'node:assert/strict';
import {execFile} from 'node:child_process';
import {cp, mkdir, mkdtemp, open, rm, truncate, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {promisify} from 'node:util';
import {fixtureEmbedOptions, fixtureImages, repoRoot} from './helpers.js';

const LARGE = 1536 * 2 ** 20;
let work: string;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'vc-large-'));
});
after(async () => {
  await rm(work, {recursive: true, force: true});
});

async function sparseFile(path: string, head: Uint8Array, bytes: number): Promise<void> {
  const handle = await open(path, 'w');
  await handle.write(head);
  await handle.close();
  await truncate(path, bytes);
}

test('sparse 1.5 GiB files named .mp4 and .jpg are skipped or refused unread, with bounded RSS', async (t) => {
  const input = join(work, 'images');
  await mkdir(input);
  await cp(join(fixtureImages, 'photo_640x480.jpg'), join(input, 'photo.jpg'));
  await cp(join(fixtureImages, 'square_224.png'), join(input, 'square.png'));
  const mp4 = Buffer.from('\0\0\0\x18ftypmp42\0\0\0\0mp42isom', 'latin1');
  await sparseFile(join(input, 'movie.mp4'), mp4, LARGE);
  await sparseFile(join(input, 'movie.jpg'), mp4, LARGE);
  await sparseFile(
    join(input, 'huge.jpg'),
    Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1]),
    LARGE,
  );
  const options = fixtureEmbedOptions(work, {imagesDir: input, embeddingsDir: join(work, 'out')});
  const script = `
    import {embedImages} from './source/core/embed/embed-images.ts';
    let skipped = [];
    const report = await embedImages({...${JSON.stringify(options)}, onEvent: (event) => {
      if (event.type === 'scanned') skipped = event.skipped;
    }});
    const {counts, failures} = report.metadata;
    console.log(JSON.stringify({maxRssBytes: process.resourceUsage().maxRSS * 1024, counts, failures, skipped}));
  `;
  const {stdout} = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', script],
    {cwd: repoRoot, maxBuffer: 2 ** 20},
  );
  const result = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}');
  assert.deepEqual(result.skipped, [{file: 'movie.mp4', reason: 'not an image (.mp4 file)'}]);
  assert.deepEqual(result.failures, [
    {file: 'huge.jpg', reason: '1536 MiB is over the 256 MiB one image file may take (not read)'},
    {
      file: 'movie.jpg',
      reason: 'not an image: a video or other media file (MP4, QuickTime, 3GP) (not read)',
    },
  ]);
  assert.deepEqual(result.counts, {inputs: 4, ok: 2, failed: 2, not_reached: 0, cache_hits: 0, skipped: 1});
  t.diagnostic(`peak RSS of the embed: ${(result.maxRssBytes / 2 ** 20).toFixed(0)} MiB`);
  // Reading any one of the large files would take 1.5 GiB; the run itself (the model, sharp) takes far less.
  assert.ok(result.maxRssBytes < 1024 * 2 ** 20, `peak RSS ${(result.maxRssBytes / 2 ** 20).toFixed(0)} MiB`);
});

test('an empty file and one shorter than any signature fail with their reasons', async () => {
  const input = join(work, 'small');
  await mkdir(input);
  await cp(join(fixtureImages, 'square_224.png'), join(input, 'square.png'));
  await writeFile(join(input, 'empty.jpg'), '');
  await writeFile(join(input, 'short.png'), 'PNG');
  const {embedImages} = await import('../../source/core/embed/embed-images.js');
  const report = await embedImages(
    fixtureEmbedOptions(work, {imagesDir: input, embeddingsDir: join(work, 'small-out')}),
  );
  assert.deepEqual(report.metadata.failures, [
    {file: 'empty.jpg', reason: 'empty file (0 bytes)'},
    {
      file: 'short.png',
      reason:
        'not an image: no JPEG, PNG, WebP, GIF, TIFF, AVIF or HEIF signature in its first bytes (not read)',
    },
  ]);
});
