/**
 * The first run with no network: a provider whose host refuses connections or does not resolve stops the download
 * after a few identical failures, says which host and what to do, and `run` does not then blame an empty images
 * folder. The unresolvable host is under .invalid, which never resolves; the refusing one is a closed local port.
 */
import assert from 'node:assert/strict';
import {execFile} from 'node:child_process';
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import {createServer} from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {promisify} from 'node:util';
import {downloadImages} from '../../source/core/download/download-images.js';
import type {DownloadEvent} from '../../source/core/download/types.js';
import {UNREACHABLE_AFTER} from '../../source/core/download/unreachable.js';
import {type ImageServer, startImageServer} from '../helpers/image-server.js';
import {fastClock} from './check-folder.js';

const MODEL = new URL('../fixtures/tiny-clip', import.meta.url).pathname;
let work: string;
let refused: string;
let server: ImageServer;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'vc-unreachable-'));
  server = await startImageServer({count: 8});
  // A port that was just free: nothing listens there, so connecting is refused.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  refused = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 9}`;
  await new Promise((resolve) => probe.close(resolve));
});
after(async () => {
  await server.close();
  await rm(work, {recursive: true, force: true});
});

for (const [what, base, host, codes] of [
  ['refuses connections', () => refused, () => refused.slice('http://'.length), 'ECONNREFUSED'],
  [
    'does not resolve',
    () => 'http://nonexistent.invalid',
    () => 'nonexistent.invalid',
    'ENOTFOUND|EAI_AGAIN',
  ],
] as const) {
  test(`a provider host that ${what} stops the download after ${UNREACHABLE_AFTER} images fail alike`, async () => {
    const events: DownloadEvent[] = [];
    const report = await downloadImages({
      provider: 'picsum',
      picsumBaseUrl: base(),
      count: 100,
      workers: 8,
      imagesDir: join(work, `picsum-${codes.slice(0, 6)}`),
      clock: fastClock().clock,
      onEvent: (event) => events.push(event),
    });
    assert.equal(report.stopReason, 'unreachable');
    assert.equal(report.kept, 0);
    const escaped = host().replace(/[.:]/g, '\\$&');
    assert.match(
      report.sourceError ?? '',
      new RegExp(`^cannot reach ${escaped}: cannot connect \\((${codes})\\)`),
    );
    // Without the stop: 400 attempts (4 per image for 100 images), each printed.
    assert.ok(report.attempts <= 4 * 8, `${report.attempts} attempts`);
    const lines = events.filter((event) => event.type === 'failed' || event.type === 'retry');
    assert.ok(lines.length <= 4 * 8, `${lines.length} failure lines`);
  });
}

test('one dead host among live ones does not stop the run', async () => {
  const urls = join(work, 'urls.txt');
  await writeFile(urls, [`${refused}/a.jpg`, ...server.urls.slice(0, 6)].join('\n'));
  const report = await downloadImages({
    provider: 'urls',
    urlsFile: urls,
    count: 6,
    workers: 1,
    imagesDir: join(work, 'mixed'),
    clock: fastClock().clock,
  });
  assert.equal(report.stopReason, 'complete');
  assert.equal(report.kept, 6);
  assert.deepEqual(report.failedByReason, {connect: 1});
});

const cli = (args: string[], env: Record<string, string>) =>
  promisify(execFile)(process.execPath, ['--import', 'tsx', 'source/cli.tsx', ...args], {
    env: {...process.env, ...env},
  }).then(
    ({stdout, stderr}) => ({code: 0, stdout, stderr}),
    (error: {code: number; stdout: string; stderr: string}) => error,
  );

test('download: exit 2, one summary that names the host and the ways out', async () => {
  const result = await cli(['download', '--count', '100', '--output-dir', join(work, 'cli-download')], {
    VISUAL_CORTEX_PICSUM_URL: refused,
  });
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stdout, /^stopped: the provider cannot be reached$/m);
  assert.match(result.stdout, /^ {2}cannot reach 127\.0\.0\.1:\d+: cannot connect \(ECONNREFUSED\)/m);
  assert.match(
    result.stdout,
    /^ {2}what to do: .*VISUAL_CORTEX_PICSUM_URL.*--provider local --from DIR.*--provider urls --urls FILE/m,
  );
  const lines = result.stdout.trim().split('\n');
  assert.ok(lines.length <= 45, `${lines.length} lines:\n${result.stdout}`);
});

test('run: says the provider could not be reached, not that the images folder is empty; exit 2', async () => {
  const result = await cli(
    [
      'run',
      '--count',
      '100',
      '--model',
      MODEL,
      '--output-dir',
      join(work, 'cli-run-images'),
      '--embeddings-dir',
      join(work, 'cli-run-embeddings'),
    ],
    {VISUAL_CORTEX_PICSUM_URL: 'http://nonexistent.invalid'},
  );
  const output = `${result.stdout}${result.stderr}`;
  assert.equal(result.code, 2, output);
  assert.match(
    output,
    /the download could not reach the provider, so there is nothing to embed: cannot reach nonexistent\.invalid/,
  );
  assert.match(output, /VISUAL_CORTEX_PICSUM_URL/);
  assert.doesNotMatch(output, /no images found/);
  assert.ok(output.split('\n').length <= 20, output);
});
