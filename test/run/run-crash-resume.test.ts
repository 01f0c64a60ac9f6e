/**
 * The streaming run survives kill -9: a `run` child (real CLI, local image servers, tiny-clip) killed at random
 * moments, then resumed, ends with every image exactly once, rows bit-identical to a clean `embed` of the same
 * folder, the committed rows never embedded again, and no temp file left.
 */
import assert from 'node:assert/strict';
import {type ChildProcess, spawn} from 'node:child_process';
import {mkdtemp, readdir, readFile, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {openCollection} from '../../source/core/collection/reader.js';
import {leftovers} from '../collection/helpers.js';
import {repoRoot, tinyClip} from '../embed/helpers.js';
import {type ImageServer, startImageServer} from '../helpers/image-server.js';

const PER_SERVER = 15;
// Three bases so rows differ between servers (each server's images share pixels, not bytes).
const BASES = ['photo_640x480.jpg', 'gray_320x240.jpg', 'alpha_400x300.png'];
const TOTAL = PER_SERVER * BASES.length;

let work: string;
let urlsFile: string;
const servers: ImageServer[] = [];
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'vc-run-crash-'));
  // Slow headers, so the download lasts about as long as the embedding and a kill can land in either.
  for (const base of BASES)
    servers.push(await startImageServer({count: PER_SERVER, base, plan: () => 'slow-headers:400'}));
  const urls = servers[0]!.urls.flatMap((_, index) => servers.map((server) => server.urls[index]!));
  urlsFile = join(work, 'urls.txt');
  await writeFile(urlsFile, `${urls.join('\n')}\n`);
});
after(async () => {
  for (const server of servers) await server.close();
  await rm(work, {recursive: true, force: true});
});

interface Child {
  child: ChildProcess;
  output: () => string;
  stdout: () => string;
  exit: Promise<number | null>;
  saw: (pattern: RegExp) => Promise<void>;
}

function cli(args: string[]): Child {
  const child = spawn(
    process.execPath,
    ['--import', import.meta.resolve('tsx'), join(repoRoot, 'source/cli.tsx'), ...args],
    {
      cwd: work,
      env: {...process.env, VISUAL_CORTEX_CACHE: join(work, 'cache.sqlite')},
      stdio: 'pipe',
    },
  );
  child.stdin?.end();
  let output = '';
  let stdout = '';
  const waiters: {pattern: RegExp; resolve: () => void}[] = [];
  const seen = (chunk: Buffer, isStdout: boolean) => {
    output += chunk;
    if (isStdout) stdout += chunk;
    for (const waiter of waiters.filter((entry) => entry.pattern.test(output))) waiter.resolve();
  };
  child.stdout?.on('data', (chunk: Buffer) => seen(chunk, true));
  child.stderr?.on('data', (chunk: Buffer) => seen(chunk, false));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    stdout: () => stdout,
    exit,
    saw: (pattern) =>
      new Promise<void>((resolve, reject) => {
        if (pattern.test(output)) resolve();
        else waiters.push({pattern, resolve});
        exit.then(() => reject(new Error(`exited before ${pattern}: ${output.slice(-500)}`)));
      }),
  };
}

const images = () => join(work, 'images');
const embeddings = () => join(work, 'embeddings');
const run = (extra: string[] = []) =>
  cli([
    'run',
    ...['--provider', 'urls', '--urls', urlsFile, '--count', String(TOTAL), '--workers', '3'],
    ...['--output-dir', images(), '--embeddings-dir', embeddings(), '--model', tinyClip],
    ...['--batch-size', '1', '--shard-size', '4', ...extra],
  ]);

const committedRows = () =>
  openCollection(embeddings()).then(
    (collection) => collection.files.length,
    () => 0,
  );

test('kill -9 a run at random moments, then resume: each image once, rows as a clean embed, none embedded twice', async (t) => {
  let kills = 0;
  let midRun = 0;
  for (let attempt = 0; attempt < 4; attempt++) {
    const child = run();
    // Odd attempts: any moment from the download's start (model load and first downloads included); even ones:
    // just after a shard commits, with rows streaming in (the load takes seconds on a busy machine).
    const moment = attempt % 2 === 0 ? /download:/ : /embed: committed shard/;
    const started = await child.saw(moment).then(
      () => true,
      () => false,
    );
    // 45 x 400 ms / 3 workers = 6 s of downloads in all, fewer left in later attempts: the kill comes within the
    // first ~40% of what is left, so that a quiet machine does not finish the run first.
    const left = (TOTAL - (await committedRows())) / TOTAL;
    const window = attempt % 2 === 0 ? 2500 * left : 500;
    if (started) await new Promise((resolve) => setTimeout(resolve, Math.random() * window));
    const killed = child.child.exitCode === null && child.child.kill('SIGKILL');
    const code = await child.exit;
    if (killed) kills++;
    else assert.equal(code, 0, child.output());
    const rows = await committedRows();
    if (killed && rows > 0 && rows < TOTAL) midRun++;
    t.diagnostic(
      `attempt ${attempt + 1}: ${killed ? 'killed' : 'finished'}; ${(await readdir(images()).catch(() => [])).length} files in images, ${await committedRows()} rows committed`,
    );
  }
  assert.ok(kills >= 2, `only ${kills} runs were still running when killed`);
  assert.ok(midRun >= 1, 'no kill landed while rows were being committed');

  const before = await committedRows();
  const final = run(['--json']);
  assert.equal(await final.exit, 0, final.output());
  const report = JSON.parse(final.stdout());
  assert.equal(report.interrupted, false);
  // Rows committed before the resume are kept, not embedded again.
  assert.equal(report.embed.collection.kept, before);
  assert.equal(report.embed.ok, TOTAL - before);

  const clean = cli([
    'embed',
    ...['--input', images(), '--output', join(work, 'clean'), '--model', tinyClip],
    ...['--batch-size', '1', '--no-cache'],
  ]);
  assert.equal(await clean.exit, 0, clean.output());

  const streamed = await openCollection(embeddings());
  const reference = await openCollection(join(work, 'clean'));
  assert.equal(streamed.files.length, TOTAL);
  assert.equal(new Set(streamed.files).size, TOTAL, 'every image exactly once');
  assert.deepEqual([...streamed.files].sort(), [...reference.files].sort());
  const rowOf = (collection: typeof streamed) => {
    const {data, dims} = collection.matrix;
    return new Map(
      collection.files.map((file, row) => [
        file,
        Buffer.from(data.buffer, data.byteOffset + row * dims * 4, dims * 4),
      ]),
    );
  };
  const ours = rowOf(streamed);
  for (const [file, row] of rowOf(reference)) assert.ok(ours.get(file)?.equals(row), `${file}: row differs`);
  assert.deepEqual(await leftovers(embeddings()), []);
  const stray = (await readdir(images())).filter(
    (name) => name.startsWith('.') && name !== '.download-index.jsonl',
  );
  assert.deepEqual(stray, [], 'no temp files in the images folder');
});

test('Ctrl+C (SIGINT) commits what is embedded, writes the merged view marked interrupted, exits 130', async () => {
  const stopped = join(work, 'stopped');
  const child = cli([
    'run',
    ...['--provider', 'urls', '--urls', urlsFile, '--count', String(TOTAL), '--workers', '3'],
    ...['--output-dir', join(stopped, 'images'), '--embeddings-dir', join(stopped, 'embeddings')],
    ...['--model', tinyClip, '--batch-size', '1', '--shard-size', '4'],
  ]);
  // After the first shard, with most downloads still to come (45 x 400 ms / 3 workers).
  await child.saw(/embed: committed shard/);
  child.child.kill('SIGINT');
  assert.equal(await child.exit, 130, child.output());
  const embedded = Number(/embedded (\d+), failed 0/.exec(child.stdout())?.[1]);
  assert.ok(embedded >= 4 && embedded < TOTAL, `${embedded} rows: ${child.stdout()}`);
  assert.match(child.stdout(), /interrupted: run the same command again to resume/);
  const metadata = JSON.parse(await readFile(join(stopped, 'embeddings', 'metadata.json'), 'utf8'));
  assert.equal(metadata.interrupted, true);
  const collection = await openCollection(join(stopped, 'embeddings'));
  assert.equal(collection.files.length, embedded, 'every embedded row committed');
  assert.deepEqual(await leftovers(join(stopped, 'embeddings')), []);
});
