/**
 * The exit-code table with real processes: a graceful SIGINT during embedding exits 130 (for `run` and for
 * `embed`) and leaves outputs that `validate` passes; `run` hands its download and embed options to the engine.
 */
import assert from 'node:assert/strict';
import {spawn, spawnSync} from 'node:child_process';
import {cp, mkdtemp, readFile, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';
import {fixtureImages, repoRoot, tinyClip} from '../embed/helpers.js';
import {HANG_GUARD_MS} from '../helpers/hang-guard.js';
import {startImageServer} from '../helpers/image-server.js';

const CLI = join(repoRoot, 'source/cli.tsx');
let work: string;
let images: string;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'vc-exit-'));
  images = join(work, 'many');
  for (let copy = 0; copy < 12; copy++)
    await cp(fixtureImages, join(images, `set-${String(copy).padStart(2, '0')}`), {recursive: true});
});
after(async () => {
  await rm(work, {recursive: true, force: true});
});

const env = (extra: Record<string, string> = {}) => ({
  ...process.env,
  HOME: work,
  VISUAL_CORTEX_CACHE: join(work, 'cache.sqlite'),
  VISUAL_CORTEX_CONFIG_DIR: join(work, 'config'),
  ...extra,
});

function cli(args: string[], extraEnv: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), CLI, ...args], {
    cwd: work,
    encoding: 'utf8',
    input: '',
    env: env(extraEnv),
    timeout: HANG_GUARD_MS,
  });
  return {code: result.status, stdout: result.stdout, stderr: result.stderr};
}

/** The CLI without blocking this process's event loop, which serves the test's image server. */
function cliAsync(args: string[], extraEnv: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), CLI, ...args], {
    cwd: work,
    env: env(extraEnv),
  });
  child.stdin.end();
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise<{code: number | null; stdout: string; stderr: string}>((resolve) =>
    child.once('exit', (code) => resolve({code, stdout, stderr})),
  );
}

/** Starts the CLI, sends SIGINT once `pattern` shows on stdout or stderr, and resolves with the exit code. */
function interruptWhen(args: string[], pattern: RegExp): Promise<{code: number | null; output: string}> {
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), CLI, ...args], {
    cwd: work,
    env: env(),
  });
  child.stdin.end();
  let output = '';
  let sent = false;
  const watch = (chunk: Buffer) => {
    output += chunk.toString();
    if (!sent && pattern.test(output)) {
      sent = true;
      child.kill('SIGINT');
    }
  };
  child.stdout.on('data', watch);
  child.stderr.on('data', watch);
  return new Promise((resolve) => child.once('exit', (code) => resolve({code, output})));
}

/** One image per batch on one thread: slow enough for the signal to land mid-embedding. */
const SLOW = ['--model', tinyClip, '--batch-size', '1', '--threads', '1', '--no-cache'];

describe('exit codes with real signals', () => {
  test('embed: a graceful Ctrl+C exits 130 and the outputs pass validate', async () => {
    const embeddings = join(work, 'embed-out');
    const {code, output} = await interruptWhen(
      ['embed', '--images', images, '--embeddings', embeddings, ...SLOW],
      /embedded [1-9]\d*\//,
    );
    assert.equal(code, 130, output);
    const metadata = JSON.parse(await readFile(join(embeddings, 'metadata.json'), 'utf8'));
    assert.equal(metadata.interrupted, true);
    const validated = cli(['validate', '--embeddings', embeddings, '--model', tinyClip, '--sample', '2']);
    assert.equal(validated.code, 0, validated.stdout + validated.stderr);
  });

  test('run: a graceful Ctrl+C during embedding exits 130 and the outputs pass validate', async () => {
    const embeddings = join(work, 'run-out');
    const {code, output} = await interruptWhen(
      [
        'run',
        ...['--provider', 'local', '--from', images, '--count', '96'],
        ...['--images', join(work, 'run-images'), '--embeddings', embeddings],
        ...SLOW,
      ],
      /^embed: [1-9]\d*\//m,
    );
    assert.equal(code, 130, output);
    assert.match(output, /interrupted: run the same command again to resume/);
    const validated = cli(['validate', '--embeddings', embeddings, '--model', tinyClip, '--sample', '2']);
    assert.equal(validated.code, 0, validated.stdout + validated.stderr);
  });

  test('run passes --min-bytes to the downloader and --threads to the embedder', async () => {
    // Bodies of about 3.7 KB (the tiny PNG fixture): the default --min-bytes keeps them, 5000 refuses them all.
    const server = await startImageServer({base: 'tiny_50x40.png', count: 8});
    try {
      const seeded = join(work, 'img-min');
      await cp(join(fixtureImages, 'gray_320x240.jpg'), join(seeded, 'seed.jpg'));
      const run = await cliAsync(
        [
          ...['run', '--count', '3', '--workers', '1', '--max-attempts', '4', '--model', tinyClip],
          ...['--min-bytes', '5000', '--threads', '1', '--images', seeded, '--embeddings', 'emb-min'],
        ],
        {VISUAL_CORTEX_PICSUM_URL: server.origin},
      );
      assert.equal(run.code, 1, run.stdout + run.stderr);
      assert.match(run.stdout, /too-small/);
      assert.match(run.stdout, /fix: lower --min-bytes N/);
      const metadata = JSON.parse(await readFile(join(work, 'emb-min', 'metadata.json'), 'utf8'));
      assert.equal(metadata.counts.ok, 1);
      assert.equal(metadata.intra_op_threads, 1);
    } finally {
      await server.close();
    }
  });
});
