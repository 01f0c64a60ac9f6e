import assert from 'node:assert/strict';
import {execFile, spawn} from 'node:child_process';
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {PassThrough} from 'node:stream';
import {after, before, test} from 'node:test';
import {promisify} from 'node:util';
import {downloadCommand, parseIds} from '../../source/commands/download.js';
import {UserError} from '../../source/core/errors.js';
import {type ImageServer, startImageServer} from '../helpers/image-server.js';
import {checkFolder} from './check-folder.js';

let server: ImageServer;
let work: string;
before(async () => {
  server = await startImageServer({count: 5});
  work = await mkdtemp(join(tmpdir(), 'vc-download-cmd-'));
});
after(async () => {
  await server.close();
  await rm(work, {recursive: true, force: true});
});

function fakeIo(isTTY = false) {
  let text = '';
  const stdout = Object.assign(new PassThrough(), {isTTY, columns: 80});
  stdout.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  const stderr = new PassThrough();
  return {io: {stdout, stderr, stdin: new PassThrough()}, output: () => text};
}

async function runDownload(flags: Record<string, unknown>, isTTY = false) {
  const {io, output} = fakeIo(isTTY);
  const code = await downloadCommand.run({
    input: [],
    flags: {provider: 'picsum', count: 100, imagesDir: 'data/images', json: false, ...flags} as never,
    io,
    signal: new AbortController().signal,
    env: {VISUAL_CORTEX_PICSUM_URL: server.origin},
    explicitFlags: new Set(),
  });
  return {code, output: output()};
}

test('plain output without a TTY; exit 0 when the count is reached', async () => {
  const imagesDir = join(work, 'plain');
  const {code, output} = await runDownload({count: 3, workers: 2, imagesDir});
  assert.equal(code, 0);
  assert.equal(output.match(/^kept img_\d{6}\.jpg 640x480 /gm)?.length, 3, output);
  assert.match(output, /stopped: the requested count is reached/);
  assert.equal((await checkFolder(imagesDir)).length, 3);
});

test('--json prints the report; exit 1 when the run ends short', async () => {
  const urlsFile = join(work, 'short.txt');
  await writeFile(urlsFile, `${server.urls[0]}\n${server.origin}/image/99.jpg\n`);
  const {code, output} = await runDownload({
    provider: 'urls',
    urls: urlsFile,
    count: 3,
    json: true,
    imagesDir: join(work, 'json'),
  });
  assert.equal(code, 1);
  const report = JSON.parse(output);
  assert.equal(report.kept, 1);
  assert.deepEqual(report.failedByReason, {'not-found': 1});
  assert.equal(report.stopReason, 'exhausted');
});

test('a TTY gets one live line, redrawn in place', async () => {
  const {code, output} = await runDownload({count: 2, imagesDir: join(work, 'tty')}, true);
  assert.equal(code, 0);
  assert.match(output, /\r\x1b\[2Kkept \d\/2/);
  assert.doesNotMatch(output, /^kept img_/m);
});

test('bad flags are UserErrors', async () => {
  await assert.rejects(
    runDownload({provider: 'flickr'}),
    (error) => error instanceof UserError && /flickr/.test(error.message),
  );
  await assert.rejects(runDownload({provider: 'unsplash'}), (error) => error instanceof UserError);
  await assert.rejects(runDownload({retries: -1}), UserError);
  assert.deepEqual(parseIds('3, 7-9'), [3, 7, 8, 9]);
  assert.throws(() => parseIds('9-7'), UserError);
  assert.throws(() => parseIds('x'), UserError);
});

test('the CLI exits 2 on a missing Unsplash key and honours VISUAL_CORTEX_PICSUM_URL', async () => {
  const run = promisify(execFile);
  const cli = ['--import', 'tsx', 'source/cli.tsx', 'download'];
  const env = {...process.env, UNSPLASH_ACCESS_KEY: '', VISUAL_CORTEX_PICSUM_URL: server.origin};
  const failed = await run(
    process.execPath,
    [...cli, '--provider', 'unsplash', '--output-dir', join(work, 'cli1')],
    {env},
  ).then(
    () => assert.fail('should exit 2'),
    (error: {code: number; stderr: string}) => error,
  );
  assert.equal(failed.code, 2);
  assert.match(failed.stderr, /fix: set UNSPLASH_ACCESS_KEY/);
  const ok = await run(
    process.execPath,
    [...cli, '--count', '2', '--json', '--output-dir', join(work, 'cli2')],
    {env},
  );
  assert.equal(JSON.parse(ok.stdout).total, 2);
});

test('Ctrl+C: the CLI stops, keeps only complete images, and reports what was saved', async () => {
  const slow = await startImageServer({
    count: 20,
    plan: ({hit, total}) => (total > 2 && hit === 1 ? 'stall:2000' : undefined),
  });
  const imagesDir = join(work, 'sigint');
  try {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'source/cli.tsx',
        'download',
        '--count',
        '10',
        '--workers',
        '3',
        '--output-dir',
        imagesDir,
      ],
      {env: {...process.env, VISUAL_CORTEX_PICSUM_URL: slow.origin}},
    );
    let stdout = '';
    let signalled = false;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (!signalled && /^kept /m.test(stdout)) {
        signalled = true;
        // Let the other workers get stuck in their stalled bodies first.
        setTimeout(() => child.kill('SIGINT'), 300);
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    // Interrupted wins over short: the exit-code table says 130 for a graceful stop.
    assert.equal(code, 130, stdout);
    assert.match(stdout, /stopped: interrupted/);
    const saved = Number(/saved (\d+) new image/.exec(stdout)?.[1]);
    const entries = await checkFolder(imagesDir);
    assert.equal(entries.length, saved);
    assert.ok(saved >= 1 && saved < 10);
  } finally {
    await slow.close();
  }
});
