/**
 * Pulls of a model with a weights file of several hundred MB from a mirror that closes the connection after
 * every answer (as HTTP/1.0 servers such as Python's http.server do). undici 7's HTTP/1 parser crashed the
 * process on such pulls (an uncatchable `assert(!this.paused)`), so each pull runs the CLI in a child process:
 * a crash is a failed exit, not a dead test runner. The large file is generated here and never committed.
 */
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {once} from 'node:events';
import {cp, mkdtemp, open, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {readManifest} from '../../source/core/model/manifest.js';
import {type FakeHub, startFakeHub, TINY_CLIP_DIR} from '../helpers/hub-server.js';

const LARGE_BYTES = 256 * 2 ** 20;
/** Before the fix about 2 pulls in 5 crashed here (6 of 15), so 4 pulls catch it about 9 times in 10. */
const PULLS = 4;

let work: string;
let hub: FakeHub;

/** A patterned file (a 1 MiB random-looking block, each copy stamped with its index so no two MiB are equal). */
async function writeLargeFile(path: string, bytes: number): Promise<void> {
  const block = Buffer.alloc(2 ** 20);
  for (let i = 0; i < block.length; i++) block[i] = (i * 2654435761) >>> 24;
  const handle = await open(path, 'w');
  try {
    for (let offset = 0; offset < bytes; offset += block.length) {
      block.writeUInt32LE(offset / block.length, 0);
      await handle.write(block, 0, Math.min(block.length, bytes - offset), offset);
    }
  } finally {
    await handle.close();
  }
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'vc-pull-large-'));
  const repo = join(work, 'repo');
  await cp(TINY_CLIP_DIR, repo, {recursive: true});
  await writeLargeFile(join(repo, 'onnx', 'vision_model.onnx'), LARGE_BYTES);
  hub = await startFakeHub({
    repos: {'Xenova/clip-vit-base-patch32': repo},
    faults: {closeConnections: true},
  });
});

after(async () => {
  await hub?.close();
  await rm(work, {recursive: true, force: true});
});

function pullInChild(modelsDir: string): Promise<{code: number | null; output: string}> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'source/cli.tsx',
      'models',
      'pull',
      'ViT-B-32',
      '--dtype',
      'fp32',
      '--models-dir',
      modelsDir,
    ],
    {env: {...process.env, HF_ENDPOINT: hub.endpoint, NO_COLOR: '1'}, stdio: ['ignore', 'pipe', 'pipe']},
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  return once(child, 'close').then(([code]) => ({code: code as number | null, output}));
}

test(`${PULLS} pulls of a ${LARGE_BYTES >> 20} MiB weights file from a mirror that closes connections all complete`, async () => {
  const failures: string[] = [];
  for (let pull = 1; pull <= PULLS; pull++) {
    const modelsDir = join(work, `models-${pull}`);
    const {code, output} = await pullInChild(modelsDir);
    if (code !== 0) {
      failures.push(`pull ${pull} exited ${code}: ${output.split('\n').slice(-12).join('\n')}`);
      continue;
    }
    const manifest = await readManifest(join(modelsDir, 'ViT-B-32'));
    const vision = manifest?.files.find((file) => file.path === 'onnx/vision_model.onnx');
    assert.equal(vision?.size, LARGE_BYTES);
    assert.equal(vision?.checkedAgainst, 'hub-sha256');
    await rm(modelsDir, {recursive: true, force: true});
  }
  assert.deepEqual(failures, []);
});
