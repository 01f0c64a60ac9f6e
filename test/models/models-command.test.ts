import assert from 'node:assert/strict';
import {execFile} from 'node:child_process';
import {mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {PassThrough} from 'node:stream';
import {after, before, test} from 'node:test';
import {promisify} from 'node:util';
import {modelsCommand} from '../../source/commands/models.js';
import {UserError} from '../../source/core/errors.js';
import {type FakeHub, startFakeHub} from '../helpers/hub-server.js';

let hub: FakeHub;
let modelsDir: string;
before(async () => {
  hub = await startFakeHub();
  modelsDir = await mkdtemp(join(tmpdir(), 'vc-models-cmd-'));
});
after(async () => {
  await hub.close();
  await rm(modelsDir, {recursive: true, force: true});
});

async function runModels(input: string[], flags: Record<string, unknown> = {}) {
  let stdout = '';
  let stderr = '';
  const out = new PassThrough();
  const err = new PassThrough();
  out.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  err.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const code = await modelsCommand.run({
    input,
    flags: {json: false, modelsDir, force: false, ...flags} as never,
    io: {stdout: out, stderr: err, stdin: new PassThrough()},
    signal: new AbortController().signal,
    env: {HF_ENDPOINT: hub.endpoint},
    explicitFlags: new Set(),
  });
  return {code, stdout, stderr};
}

test('pull, list, verify and remove in plain text', async () => {
  const pulled = await runModels(['pull', 'ViT-B-32'], {dtype: ['q8']});
  assert.equal(pulled.code, 0);
  assert.match(
    pulled.stdout,
    /^installed ViT-B-32 from Xenova\/clip-vit-base-patch32@main \(commit c0ffee0\) in .*: q8, 7 files/,
  );
  assert.match(pulled.stderr, /ok onnx\/vision_model_quantized\.onnx .* sha256 matches the Hub/);

  const listed = await runModels(['list']);
  assert.match(listed.stdout, /ViT-B-32 +Xenova\/clip-vit-base-patch32 +512-d .*installed: q8/);
  assert.match(listed.stdout, /ViT-L-14 .*768-d .*not installed/);
  assert.match(listed.stdout, /approximate/);

  const verified = await runModels(['verify', 'ViT-B-32']);
  assert.equal(verified.code, 0);
  assert.match(verified.stdout, /all 7 files match the manifest/);

  const removed = await runModels(['remove', 'ViT-B-32']);
  assert.match(removed.stdout, /^removed ViT-B-32/);
  await assert.rejects(runModels(['remove', 'ViT-B-32']), /not installed/);
  await assert.rejects(runModels(['pull', 'ViT-B-32'], {dtype: ['q4']}), (error: unknown) => {
    assert.ok(error instanceof UserError);
    assert.match(error.message, /unknown dtype 'q4'/);
    return true;
  });
  await assert.rejects(runModels(['fetch']), /unknown action 'models fetch'/);
});

test('the CLI parses --dtype lists and prints JSON', async () => {
  const run = promisify(execFile);
  const cli = (...args: string[]) =>
    run(
      process.execPath,
      ['--import', 'tsx', 'source/cli.tsx', 'models', ...args, '--models-dir', modelsDir, '--json'],
      {
        env: {...process.env, HF_ENDPOINT: hub.endpoint},
      },
    );
  const pulled = JSON.parse((await cli('pull', 'test-org/tiny-clip', '--dtype', 'q8,fp32')).stdout);
  assert.deepEqual(pulled.manifest.dtypes, ['q8', 'fp32']);
  assert.equal(pulled.dir, join(modelsDir, 'test-org', 'tiny-clip'));
  const listed = JSON.parse((await cli('list')).stdout);
  assert.deepEqual(listed.installed[0].dtypes, ['fp32', 'q8']);
  assert.equal(listed.registry[2].embeddingDim, 768);
  await assert.rejects(cli('verify', 'nope/missing'), (error: {code: number; stdout: string}) => {
    assert.equal(error.code, 2);
    assert.match(JSON.parse(error.stdout).error.message, /not installed/);
    return true;
  });
});
