/** `search --min-score`, `--under` and `--paths-only` on planted vectors, through the real CLI. */
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {rm} from 'node:fs/promises';
import {join} from 'node:path';
import {after, test} from 'node:test';
import {HANG_GUARD_MS} from '../helpers/hang-guard.js';
import {startImageServer} from '../helpers/image-server.js';
import {MODELS_DIR} from './fixture-collection.js';
import {makePlantedCollection} from './planted.js';

const roots: string[] = [];
after(async () => {
  for (const root of roots) await rm(root, {recursive: true, force: true});
});

/** Asynchronous, so that a server in this process can answer the child. */
function cli(...args: string[]): Promise<{code: number | null; stdout: string; stderr: string}> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'source/cli.tsx', 'search', ...args, '--models-dir', MODELS_DIR],
    {timeout: HANG_GUARD_MS},
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk;
  });
  return new Promise((done) => child.on('close', (code) => done({code, stdout, stderr})));
}

async function planted() {
  const made = await makePlantedCollection();
  roots.push(made.root);
  return made;
}

test('--min-score keeps the results at or above the cut-off, best first', async () => {
  const {dir} = await planted();
  const run = await cli('id:0', '--dir', dir, '--min-score', '0.85', '--json');
  assert.equal(run.code, 0, run.stderr);
  const report = JSON.parse(run.stdout) as {minScore: number; results: {file: string; score: number}[]};
  assert.equal(report.minScore, 0.85);
  assert.deepEqual(
    report.results.map((result) => result.file),
    ['dogs/a.jpg', 'dogsitter/d.jpg', 'dogs/b.jpg'],
  );
  const negative = await cli('id:0', '--dir', dir, '--min-score', '-0.6', '--json');
  assert.equal((JSON.parse(negative.stdout) as {results: unknown[]}).results.length, 6, negative.stderr);
});

test('--under SUBDIR with --paths-only prints absolute paths of that subfolder only, nothing else', async () => {
  const {dir, imagesDir} = await planted();
  const run = await cli('id:0', '--dir', dir, '--under', 'dogs', '--paths-only');
  assert.equal(run.code, 0, run.stderr);
  // dogsitter/ shares the prefix "dogs" but is another folder; dogs/deep/ is inside.
  assert.equal(
    run.stdout,
    ['dogs/a.jpg', 'dogs/b.jpg', 'dogs/deep/e.jpg'].map((file) => `${join(imagesDir, file)}\n`).join(''),
  );
  const absolute = await cli(
    'id:0',
    '--dir',
    dir,
    '--under',
    join(imagesDir, 'cats'),
    '--paths-only',
    '-k',
    '1',
  );
  assert.equal(absolute.stdout, `${join(imagesDir, 'cats/c.jpg')}\n`, absolute.stderr);
  // With an HNSW index the subfolder is still searched exactly, and the heading says so.
  assert.equal((await cli('--build-index', '--dir', dir, '--json')).code, 0);
  const indexed = await cli('id:0', '--dir', dir, '--index', 'hnsw', '--under', 'dogs', '--min-score', '0.5');
  assert.match(
    indexed.stdout,
    /top 2 of 6, score >= 0\.5 under dogs\/ \(tiny-clip fp32, exact search\)/,
    indexed.stderr,
  );
  assert.match(indexed.stdout, /1\s+1\.0000\s+dogs\/a\.jpg[\s\S]*2\s+0\.9000\s+dogs\/b\.jpg/);
  const whole = await cli('id:0', '--dir', dir, '--under', 'dogs/..', '--paths-only', '--min-score', '0.5');
  assert.equal(whole.stdout.trim().split('\n').length, 4, whole.stderr);
});

test('bad --min-score, --under and query images exit 2 with the problem and a fix', async () => {
  const {dir, imagesDir} = await planted();
  for (const [args, message] of [
    [['--under', '../elsewhere'], /--under \.\.\/elsewhere is outside the images folder/],
    [['--under', 'dogs/../../x'], /outside the images folder/],
    [['--under', join(imagesDir, '..')], /outside the images folder/],
    [['--min-score', '1.5'], /--min-score must be a number from -1 to 1/],
    [['--min-score', '0x1'], /--min-score must be a number, got '0x1'/],
    [['--paths-only', '--json'], /--paths-only and --json/],
  ] as const) {
    const run = await cli('id:0', '--dir', dir, ...args);
    assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
    const json = (args as readonly string[]).includes('--json');
    assert.match(json ? run.stdout : run.stderr, message);
    if (!json) assert.equal(run.stdout, '');
    assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
  }
  const missing = await cli('"a dog" + image:nowhere/missing.jpg', '--dir', dir);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /cannot read the query image nowhere\/missing\.jpg: no such file/);
});

test('an image link term is fetched, checked and searched; an HTML page is refused', async () => {
  const {dir} = await planted();
  const server = await startImageServer({count: 1});
  try {
    const ok = await cli(`0.5*${server.origin}/image/0.jpg + id:0`, '--dir', dir, '--paths-only', '-k', '2');
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout.trim().split('\n').length, 2);
    const page = await cli(`url:${server.origin}/image/0.jpg?fault=html`, '--dir', dir);
    assert.equal(page.code, 2);
    assert.match(page.stderr, /cannot use .* as a query image: an HTML page, not an image/);
  } finally {
    await server.close();
  }
});
