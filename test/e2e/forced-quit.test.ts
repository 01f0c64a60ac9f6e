/**
 * A second Ctrl+C, for real: the BUILT CLI (`npm run build` first) embeds in a child process, gets SIGINT, and
 * once it says it is stopping, SIGINT again, at three moments (model load, mid-run, while writing). It must die
 * by SIGINT (shells report 130; see source/commands/forced-quit.ts for why not exit(130)), with no native abort,
 * no temp file left, and the outputs folder holding the previous complete set or a complete new one, never a
 * mix. With VC_TEST_FULL_MODEL=1 the same runs use the full-size ViT-B/32, whose sessions keep worker threads
 * in onnxruntime for seconds (where process.exit aborted).
 */
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {createHash} from 'node:crypto';
import {existsSync} from 'node:fs';
import {cp, mkdtemp, readdir, readFile, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';
import {fileURLToPath} from 'node:url';
import {openCollection} from '../../source/core/collection/reader.js';
import {fullSizeModel} from '../helpers/full-size-model.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'dist', 'source', 'cli.js');
const TINY_CLIP = join(ROOT, 'test', 'fixtures', 'tiny-clip');
const IMAGES = join(ROOT, 'test', 'fixtures', 'images');
const NATIVE_ABORT = /terminate called|Napi::Error|Aborted|core dumped|FATAL ERROR/;

let work: string;
let input: string;
before(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run 'npm run build' first`);
  work = await mkdtemp(join(tmpdir(), 'vc-forced-quit-'));
  input = join(work, 'images');
  for (let copy = 0; copy < 12; copy++) await cp(IMAGES, join(input, `set-${copy}`), {recursive: true});
});
after(async () => {
  if (work) await rm(work, {recursive: true, force: true});
});

interface Ending {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/**
 * Runs `embed`, sends SIGINT when stderr first shows `first`, and SIGINT again once the CLI says it is stopping
 * and stderr shows `second` (waiting for "stopping" first: two signals that arrive while Node blocks signals,
 * around starting a worker thread, would merge into one).
 */
function embedInterruptedTwice(
  model: string,
  output: string,
  first: RegExp,
  second: RegExp,
  images = input,
): Promise<Ending> {
  const child = spawn(
    process.execPath,
    [
      CLI,
      'embed',
      '--input',
      images,
      '--output',
      output,
      '--model',
      model,
      '--batch-size',
      '16',
      '--no-cache',
    ],
    {cwd: work, stdio: ['ignore', 'ignore', 'pipe']},
  );
  let stderr = '';
  let sent = 0;
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
    if (sent === 0 && first.test(stderr)) {
      sent = 1;
      child.kill('SIGINT');
    }
    const afterStop = stderr.slice(stderr.indexOf('stopping'));
    if (sent === 1 && stderr.includes('stopping') && second.test(afterStop)) {
      sent = 2;
      child.kill('SIGINT');
    }
  });
  return new Promise((resolve) => {
    child.on('exit', (code, signal) => resolve({code, signal, stderr}));
  });
}

async function sha256(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

/** The collection's own entries: committed shards and their manifest are kept by design (the next run resumes). */
const COLLECTION_PARTS = new Set(['manifest.json', 'shards', 'views', 'view']);

/**
 * The merged-view files in `dir`, and whether they are one complete set whose checksums agree with its metadata;
 * a collection there must open (its readers check every shard's checksums).
 */
async function outputSet(dir: string) {
  const names = existsSync(dir) ? (await readdir(dir)).sort() : [];
  if (names.includes('manifest.json')) await openCollection(dir);
  const outputs = names.filter((name) => !name.startsWith('.') && !COLLECTION_PARTS.has(name));
  if (!outputs.includes('metadata.json')) return {names, outputs, metadata: undefined};
  const metadata = JSON.parse(await readFile(join(dir, 'metadata.json'), 'utf8'));
  for (const [name, recorded] of Object.entries(metadata.files as Record<string, {sha256: string}>)) {
    assert.equal(
      await sha256(join(dir, name)),
      recorded.sha256,
      `${name} belongs to the set metadata.json commits`,
    );
  }
  return {names, outputs, metadata};
}

function assertCleanQuit(ending: Ending, allowGracefulEnd = false): void {
  assert.doesNotMatch(ending.stderr, NATIVE_ABORT, 'no native abort');
  // The graceful stop may finish first when the second signal is sent as it writes (exit code 130 then).
  if (allowGracefulEnd && ending.code === 130) return;
  assert.equal(
    ending.signal,
    'SIGINT',
    `ended by SIGINT, not ${ending.code ?? ending.signal}:\n${ending.stderr}`,
  );
}

const MOMENTS = [
  {name: 'during model load', first: /loading model/, second: /stopping/, graceful: false},
  {name: 'mid-run', first: /embedded \d+\//, second: /stopping/, graceful: false},
  {name: 'while writing the outputs', first: /embedded \d+\//, second: /writing outputs/, graceful: true},
];

async function suite(model: () => Promise<string | undefined>, label: string) {
  for (const moment of MOMENTS) {
    test(`${label}: a second Ctrl+C ${moment.name} in a fresh folder ends by SIGINT; no temp file, no partial set`, async (t) => {
      const dir = await model();
      if (!dir) return t.skip('set VC_TEST_FULL_MODEL=1 to run with the full-size model');
      const output = join(work, `fresh-${label}-${moment.name.replaceAll(' ', '-')}`);
      const ending = await embedInterruptedTwice(dir, output, moment.first, moment.second);
      assertCleanQuit(ending, moment.graceful);
      const set = await outputSet(output);
      assert.deepEqual(
        set.names.filter((name) => name.startsWith('.tmp-')),
        [],
        'no temp file left',
      );
      if (set.metadata === undefined) assert.deepEqual(set.outputs, [], 'no .npy without metadata.json');
      else assert.deepEqual(set.outputs, ['image_embeddings.npy', 'image_filenames.npy', 'metadata.json']);
    });
  }

  test(`${label}: over a previous set, a second Ctrl+C leaves that set or a complete new one`, async (t) => {
    const dir = await model();
    if (!dir) return t.skip('set VC_TEST_FULL_MODEL=1 to run with the full-size model');
    const output = join(work, `previous-${label}`);
    // The folder grows after the first run, so the interrupted runs have new images to add to its collection.
    const grown = join(work, `grown-${label}`);
    await cp(IMAGES, join(grown, 'set-0'), {recursive: true});
    const first = spawn(
      process.execPath,
      [CLI, 'embed', '--input', grown, '--output', output, '--model', dir, '--no-cache'],
      {
        cwd: work,
        stdio: 'ignore',
      },
    );
    assert.equal(await new Promise((resolve) => first.on('exit', resolve)), 0);
    const previous = await outputSet(output);
    for (let copy = 1; copy < 12; copy++) await cp(IMAGES, join(grown, `set-${copy}`), {recursive: true});
    for (const moment of MOMENTS.slice(1)) {
      const ending = await embedInterruptedTwice(dir, output, moment.first, moment.second, grown);
      assertCleanQuit(ending, moment.graceful);
      const set = await outputSet(output);
      assert.deepEqual(set.outputs, ['image_embeddings.npy', 'image_filenames.npy', 'metadata.json']);
      assert.deepEqual(
        set.names.filter((name) => name.startsWith('.tmp-')),
        [],
      );
      // outputSet checked that the files are the ones metadata.json commits to: the old set or a whole new one.
      assert.ok(
        set.metadata.counts.ok === previous.metadata.counts.ok || set.metadata.interrupted,
        `${set.metadata.counts.ok} rows`,
      );
    }
  });
}

test('a second Ctrl+C between the renames of an output set lets the set finish, then ends by SIGINT', async () => {
  const output = join(work, 'mid-commit');
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('children/quit-mid-commit.ts', import.meta.url)), output],
    {cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe']},
  );
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const ending = await new Promise<Ending>((resolve) => {
    child.on('exit', (code, signal) => resolve({code, signal, stderr}));
  });
  assertCleanQuit(ending);
  assert.match(stderr, /finishing the outputs being written/);
  const set = await outputSet(output);
  assert.deepEqual(set.names, ['image_embeddings.npy', 'image_filenames.npy', 'metadata.json']);
  assert.equal(set.metadata.interrupted, true);
});

describe('a second Ctrl+C (tiny model)', () => suite(async () => TINY_CLIP, 'tiny'));
describe('a second Ctrl+C (full-size model)', () => suite(fullSizeModel, 'full-size'));
