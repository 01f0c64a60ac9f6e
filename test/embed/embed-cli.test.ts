import assert from 'node:assert/strict';
import {spawn, spawnSync} from 'node:child_process';
import {cp, mkdir, mkdtemp, readdir, readFile, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {deviceAvailability} from '../../source/core/runtime/onnx.js';
import {HANG_GUARD_MS} from '../helpers/hang-guard.js';
import {turboJpegOrSkip} from '../helpers/turbojpeg.js';
import {compareWithGolden, fixtureImages, readOutputs, repoRoot, tinyClip} from './helpers.js';

let work: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'vc-embed-cli-'));
});
after(async () => {
  await rm(work, {recursive: true, force: true});
});

/** The real CLI entry point (source, through tsx, so the test needs no build). */
function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const result = spawnSync(
    process.execPath,
    ['--import', import.meta.resolve('tsx'), join(repoRoot, 'source/cli.tsx'), ...args],
    {
      cwd: work,
      encoding: 'utf8',
      env: {
        ...process.env,
        VISUAL_CORTEX_MODELS: '',
        VISUAL_CORTEX_CACHE: join(work, 'cache.sqlite'),
        ...env,
      },
      timeout: HANG_GUARD_MS,
    },
  );
  return {code: result.status, stdout: result.stdout, stderr: result.stderr};
}

test('visual-cortex embed --json embeds the fixture images and prints the report', async () => {
  const output = join(work, 'out');
  const run = cli([
    'embed',
    '--input',
    fixtureImages,
    '--output',
    output,
    '--model',
    tinyClip,
    '--batch-size',
    '5',
    '--json',
  ]);
  assert.equal(run.code, 0, run.stderr);
  const report = JSON.parse(run.stdout);
  assert.deepEqual(report.counts, {inputs: 8, ok: 8, failed: 0, cache_hits: 0, skipped: 0, not_reached: 0});
  assert.equal(report.batch_size, 5);
  assert.equal(report.outputs.embeddings, join(output, 'image_embeddings.npy'));
  assert.match(run.stderr, /embedded 8\/8 \(100%\)/, 'plain progress lines when not on a terminal');
  for (const result of await compareWithGolden(await readOutputs(output))) {
    assert.ok(result.cosine >= 0.9999, result.name);
    assert.equal(result.nearest, result.name);
  }
});

test('without --batch-size, embed batches by the threads it is given: 8 below 12 threads, 16 from 12', () => {
  for (const [threads, batchSize] of [
    ['2', 8],
    ['12', 16],
  ] as const) {
    const run = cli([
      'embed',
      '--input',
      fixtureImages,
      '--output',
      join(work, `out-threads-${threads}`),
      '--model',
      tinyClip,
      '--threads',
      threads,
      '--no-cache',
      '--json',
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(JSON.parse(run.stdout).batch_size, batchSize, `--threads ${threads}`);
  }
});

test('a second run takes every vector from the embedding cache; --no-cache embeds again', async () => {
  const args = [
    'embed',
    '--input',
    fixtureImages,
    '--model',
    tinyClip,
    '--json',
    '--cache-file',
    join(work, 'c.sqlite'),
  ];
  const first = cli([...args, '--output', join(work, 'c1')]);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(JSON.parse(first.stdout).counts.cache_hits, 0);
  const second = cli([...args, '--output', join(work, 'c2')]);
  assert.equal(second.code, 0, second.stderr);
  assert.equal(JSON.parse(second.stdout).counts.cache_hits, 8);
  assert.match(second.stderr, /cached 8/);
  const fresh = cli([...args, '--output', join(work, 'c3'), '--no-cache']);
  assert.equal(JSON.parse(fresh.stdout).counts.cache_hits, 0);
  const a = await readOutputs(join(work, 'c1'));
  const b = await readOutputs(join(work, 'c2'));
  assert.deepEqual(b.filenames, a.filenames);
  assert.deepEqual(b.rows, a.rows);
});

test('JPEGs decode with libturbojpeg where present, to the same embeddings as with sharp; metadata names it', async (t) => {
  const library = turboJpegOrSkip(t);
  if (!library) return;
  const args = ['embed', '--input', fixtureImages, '--model', tinyClip, '--no-cache', '--json'];
  const fast = cli([...args, '--output', join(work, 'jpeg-turbo')]);
  const slow = cli([...args, '--output', join(work, 'jpeg-sharp')], {VISUAL_CORTEX_JPEG_DECODER: 'sharp'});
  assert.equal(fast.code, 0, fast.stderr);
  assert.equal(slow.code, 0, slow.stderr);
  const decoderOf = async (dir: string) =>
    JSON.parse(await readFile(join(work, dir, 'metadata.json'), 'utf8')).versions.jpeg_decoder;
  assert.equal(await decoderOf('jpeg-turbo'), library);
  assert.equal(await decoderOf('jpeg-sharp'), 'sharp');
  const [a, b] = await Promise.all(
    ['jpeg-turbo', 'jpeg-sharp'].map((dir) => readFile(join(work, dir, 'image_embeddings.npy'))),
  );
  assert.ok(a?.equals(b!), 'the two decoders give byte-identical embeddings');
});

test('a model name resolves under --models-dir, and a missing one says how to get it', () => {
  const run = cli([
    'embed',
    '--input',
    fixtureImages,
    '--output',
    join(work, 'x'),
    '--models-dir',
    join(work, 'models'),
  ]);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /model 'ViT-B-32' not found \(looked for the folder .*models\/ViT-B-32\)/);
  assert.match(run.stderr, /fix: run 'visual-cortex models pull ViT-B-32 --dtype fp32'/);
  const fp16 = cli([
    'embed',
    '--input',
    fixtureImages,
    '--output',
    join(work, 'x'),
    '--model',
    tinyClip,
    '--dtype',
    'fp16',
  ]);
  assert.equal(fp16.code, 2);
  assert.match(fp16.stderr, /has no fp16 file .*onnx\/vision_model_fp16\.onnx/);
  assert.match(fp16.stderr, /use a --dtype whose files .*tiny-clip holds/);
});

test('--sessions beyond the threads, or not a positive number, is a user error with a fix', () => {
  const args = ['embed', '--input', fixtureImages, '--output', join(work, 'y'), '--model', tinyClip];
  const tooMany = cli([...args, '--threads', '1', '--sessions', '2']);
  assert.equal(tooMany.code, 2);
  assert.match(tooMany.stderr, /sessions must be a whole number from 1 to the thread count \(1\), got 2/);
  assert.match(tooMany.stderr, /lower --sessions/);
  assert.doesNotMatch(tooMany.stderr, /\n\s+at /);
  const zero = cli([...args, '--sessions', '0']);
  assert.equal(zero.code, 2);
  assert.match(zero.stderr, /--sessions must be a positive whole number, got 0/);
});

test('unknown and unavailable devices and dtypes are user errors with a fix', (t) => {
  const args = ['embed', '--input', fixtureImages, '--output', join(work, 'x'), '--model', tinyClip];
  const unknown = cli([...args, '--device', 'tpu']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown device 'tpu'[\s\S]*--device cpu \| cuda/);
  const dtype = cli([...args, '--dtype', 'int4']);
  assert.equal(dtype.code, 2);
  assert.match(dtype.stderr, /unknown dtype 'int4'/);
  const missing = deviceAvailability().find((entry) => !entry.available);
  if (!missing) {
    t.skip('every execution provider is available on this machine');
    return;
  }
  const unavailable = cli([...args, '--device', missing.device]);
  assert.equal(unavailable.code, 2);
  assert.match(unavailable.stderr, new RegExp(`device '${missing.device}' is not available here`));
  assert.match(unavailable.stderr, /fix: use --device cpu/);
});

test('Ctrl+C (SIGINT) stops after the current batch and writes consistent outputs marked interrupted', async () => {
  const input = join(work, 'many');
  for (let copy = 0; copy < 20; copy++) {
    await mkdir(join(input, `set-${String(copy).padStart(2, '0')}`), {recursive: true});
    await cp(fixtureImages, join(input, `set-${String(copy).padStart(2, '0')}`), {recursive: true});
  }
  const output = join(work, 'interrupted');
  const child = spawn(
    process.execPath,
    [
      '--import',
      import.meta.resolve('tsx'),
      join(repoRoot, 'source/cli.tsx'),
      'embed',
      ...['--input', input, '--output', output, '--model', tinyClip, '--batch-size', '2', '--json'],
    ],
    {cwd: work, env: {...process.env, VISUAL_CORTEX_CACHE: join(work, 'sigint.sqlite')}},
  );
  child.stdin.end();
  let stderr = '';
  let stdout = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  const code = await new Promise<number | null>((resolveExit) => {
    child.stderr.on('data', (chunk) => {
      const first = !stderr.includes('embedded ');
      stderr += chunk;
      if (first && stderr.includes('embedded ')) child.kill('SIGINT');
    });
    child.on('exit', (exitCode) => resolveExit(exitCode));
  });
  assert.equal(code, 130, stderr);
  assert.match(stderr, /stopping/);
  const report = JSON.parse(stdout);
  assert.equal(report.interrupted, true);
  const outputs = await readOutputs(output);
  assert.ok(outputs.rows.length > 0 && outputs.rows.length < 160, `${outputs.rows.length} rows`);
  assert.equal(outputs.filenames.length, outputs.rows.length);
  assert.equal(outputs.metadata.counts.ok, outputs.rows.length);
  assert.equal(outputs.metadata.interrupted, true);
  // The rows were streamed to a temp shard during the run; the stop committed it and left no temp behind.
  const entries = await readdir(output, {recursive: true});
  assert.deepEqual(
    entries.filter((name) => name.split('/').some((part) => part.startsWith('.tmp-') || part === '.lock')),
    [],
  );
  for (const name of ['image_embeddings.npy', 'image_filenames.npy', 'metadata.json', 'manifest.json'])
    assert.ok(entries.includes(name), name);
});
