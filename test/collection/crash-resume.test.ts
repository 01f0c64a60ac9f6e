import assert from 'node:assert/strict';
import {type ChildProcess, spawn} from 'node:child_process';
import {cp, mkdtemp, readFile, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {openCollection} from '../../source/core/collection/reader.js';
import {fixtureImages, repoRoot, tinyClip} from '../embed/helpers.js';
import {leftovers} from './helpers.js';

let work: string;
let input: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'vc-crash-'));
  input = join(work, 'images');
  for (let copy = 0; copy < 12; copy++)
    await cp(fixtureImages, join(input, `set-${String(copy).padStart(2, '0')}`), {recursive: true});
});
after(async () => {
  await rm(work, {recursive: true, force: true});
});

interface Run {
  child: ChildProcess;
  stderr: () => string;
  exit: Promise<number | null>;
  /** Resolves when stderr has shown `pattern`. */
  saw: (pattern: RegExp) => Promise<void>;
}

/** The real CLI (source, through tsx), embedding `input` one image per batch on one thread. */
function embed(output: string, extra: string[] = []): Run {
  const child = spawn(
    process.execPath,
    [
      '--import',
      import.meta.resolve('tsx'),
      join(repoRoot, 'source/cli.tsx'),
      'embed',
      ...['--input', input, '--output', output, '--model', tinyClip],
      ...['--batch-size', '1', '--threads', '1', '--shard-size', '8', ...extra],
    ],
    {cwd: work, env: {...process.env, VISUAL_CORTEX_CACHE: join(work, `${output}.sqlite`)}, stdio: 'pipe'},
  );
  child.stdin?.end();
  let stderr = '';
  const waiters: {pattern: RegExp; resolve: () => void}[] = [];
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
    for (const waiter of waiters.filter((entry) => entry.pattern.test(stderr))) waiter.resolve();
  });
  child.stdout?.resume();
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    stderr: () => stderr,
    exit,
    saw: (pattern) =>
      new Promise<void>((resolve, reject) => {
        if (pattern.test(stderr)) resolve();
        else waiters.push({pattern, resolve});
        exit.then(() => reject(new Error(`exited before ${pattern}: ${stderr.slice(-500)}`)));
      }),
  };
}

test('kill -9 an embed at random moments, then resume: each image once, rows bit-identical to a clean embed, no temp left', async (t) => {
  const clean = join(work, 'clean');
  const started = performance.now();
  const reference = embed(clean, ['--no-cache']);
  await reference.saw(/loaded/);
  const loadedAt = performance.now();
  assert.equal(await reference.exit, 0, reference.stderr());
  const embedMs = performance.now() - loadedAt;
  t.diagnostic(
    `clean run: ${Math.round(performance.now() - started)} ms, ${Math.round(embedMs)} ms after the load`,
  );

  const crashed = join(work, 'crashed');
  let kills = 0;
  let committed = 0;
  for (let attempt = 0; attempt < 5; attempt++) {
    // Without the cache, a resumed run embeds again what the killed one had not committed.
    const run = embed(crashed, ['--no-cache']);
    // Any moment of what is left of the embedding phase (about proportional to the rows left).
    const loaded = await run.saw(/loaded/).then(
      () => true,
      () => false,
    );
    const left = (96 - committed) / 96;
    if (loaded) await new Promise((resolve) => setTimeout(resolve, Math.random() * embedMs * left));
    const killed = run.child.exitCode === null && run.child.kill('SIGKILL');
    const code = await run.exit;
    if (killed) kills++;
    else assert.equal(code, 0, run.stderr());
    committed = await openCollection(crashed).then(
      (collection) => collection.files.length,
      () => 0,
    );
    t.diagnostic(`attempt ${attempt + 1}: ${killed ? 'killed' : 'finished'}; ${committed} rows committed`);
  }
  assert.ok(kills >= 2, `only ${kills} runs were still running when killed`);
  const final = embed(crashed);
  assert.equal(await final.exit, 0, final.stderr());

  for (const name of ['image_embeddings.npy', 'image_filenames.npy'])
    assert.ok(
      (await readFile(join(crashed, name))).equals(await readFile(join(clean, name))),
      `${name} differs`,
    );
  const collection = await openCollection(crashed);
  assert.equal(collection.files.length, 96);
  assert.equal(new Set(collection.files).size, 96, 'every image exactly once');
  assert.deepEqual(await leftovers(crashed), []);
});

test('a second embed into the same folder is refused at once, naming the first by its pid', async () => {
  const output = join(work, 'contended');
  const first = embed(output);
  try {
    await first.saw(/loaded/);
    // Paused, it stays alive and holding the folder for as long as the second needs to start.
    first.child.kill('SIGSTOP');
    const second = embed(output);
    assert.equal(await second.exit, 2, second.stderr());
    assert.match(
      second.stderr(),
      new RegExp(
        `error: the embeddings folder .*contended is in use by process ${first.child.pid} \\(visual-cortex embed --input`,
      ),
    );
    assert.match(
      second.stderr(),
      new RegExp(`fix: wait for it to finish or stop it \\(kill ${first.child.pid}\\)`),
    );
    assert.doesNotMatch(second.stderr(), /loading model/, 'refused before loading the model');
  } finally {
    first.child.kill('SIGKILL');
    await first.exit;
  }
});
