import assert from 'node:assert/strict';
import {cp, mkdir, mkdtemp, open, readdir, rm, stat} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, beforeEach, describe, test} from 'node:test';
import {UserError} from '../../source/core/errors.js';
import {listInstalledModels, removeModel} from '../../source/core/model/inventory.js';
import {readManifest} from '../../source/core/model/manifest.js';
import {openModelFolder} from '../../source/core/model/model-folder.js';
import {pullModel} from '../../source/core/model/pull.js';
import {verifyModel} from '../../source/core/model/verify.js';
import {type FakeHub, startFakeHub, TINY_CLIP_DIR} from '../helpers/hub-server.js';

let hub: FakeHub;
let modelsDir: string;

before(async () => {
  hub = await startFakeHub();
});
after(async () => {
  await hub.close();
});
beforeEach(async () => {
  if (modelsDir) await rm(modelsDir, {recursive: true, force: true});
  modelsDir = await mkdtemp(join(tmpdir(), 'vc-verify-'));
});
after(async () => {
  await rm(modelsDir, {recursive: true, force: true});
});

const pull = (model = 'ViT-B-32') =>
  pullModel({modelsDir, model, dtypes: ['q8'], env: {HF_ENDPOINT: hub.endpoint}});

async function flipByte(path: string, offset: number): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, offset);
    byte[0] = (byte[0] ?? 0) ^ 0x01;
    await handle.write(byte, 0, 1, offset);
  } finally {
    await handle.close();
  }
}

describe('models verify', () => {
  test('passes on a fresh pull and catches one flipped byte, which is then never used', async () => {
    await pull();
    const clean = await verifyModel({modelsDir, model: 'ViT-B-32'});
    assert.equal(clean.ok, true);
    assert.equal(clean.files.length, 7);

    const dir = join(modelsDir, 'ViT-B-32');
    await flipByte(join(dir, 'onnx/text_model_quantized.onnx'), 12_345);
    const damaged = await verifyModel({modelsDir, model: 'vit-b/32'});
    assert.equal(damaged.ok, false);
    const bad = damaged.files.filter((file) => file.status !== 'ok');
    assert.equal(bad.length, 1);
    assert.equal(bad[0]?.path, 'onnx/text_model_quantized.onnx');
    assert.equal(bad[0]?.status, 'checksum-mismatch');
    assert.equal(bad[0]?.quarantinedAs, 'onnx/text_model_quantized.onnx.corrupt');
    await assert.rejects(openModelFolder('ViT-B-32', {modelsDir, dtype: 'q8', needText: true}), UserError);
    assert.equal((await listInstalledModels(modelsDir)).installed[0]?.verification, 'failed');

    // pull repairs just that file.
    hub.requests.length = 0;
    const repaired = await pull();
    assert.deepEqual(repaired.downloaded, ['onnx/text_model_quantized.onnx']);
    assert.equal((await verifyModel({modelsDir, model: 'ViT-B-32'})).ok, true);
    assert.ok(!(await readdir(join(dir, 'onnx'))).some((name) => name.endsWith('.corrupt')));
    assert.equal((await readManifest(dir))?.lastVerify?.ok, true);
  });

  test('a truncated file is a size mismatch; a model without manifest cannot be verified', async () => {
    await pull();
    const dir = join(modelsDir, 'ViT-B-32');
    const handle = await open(join(dir, 'tokenizer.json'), 'r+');
    await handle.truncate(100);
    await handle.close();
    const result = await verifyModel({modelsDir, model: 'ViT-B-32'});
    assert.equal(result.files.find((file) => file.path === 'tokenizer.json')?.status, 'size-mismatch');

    await cp(TINY_CLIP_DIR, join(modelsDir, 'by-hand'), {recursive: true});
    await assert.rejects(verifyModel({modelsDir, model: 'by-hand'}), /has no manifest/);
    await assert.rejects(verifyModel({modelsDir, model: 'ViT-L-14'}), /not installed/);
  });
});

describe('models list and remove', () => {
  test('lists pulled and hand-placed models with dtypes and verification state', async () => {
    await pull();
    await pull('test-org/tiny-clip');
    await cp(TINY_CLIP_DIR, join(modelsDir, 'by-hand'), {recursive: true});
    await mkdir(join(modelsDir, 'not-a-model'));
    const inventory = await listInstalledModels(modelsDir);
    assert.deepEqual(
      inventory.installed.map((model) => [model.name, model.dtypes, model.verification]),
      [
        ['by-hand', ['fp32', 'q8'], 'unverified'],
        ['test-org/tiny-clip', ['q8'], 'hub-checksums'],
        ['ViT-B-32', ['q8'], 'hub-checksums'],
      ],
    );
    const vit = inventory.installed.find((model) => model.name === 'ViT-B-32');
    assert.equal(vit?.repo, 'Xenova/clip-vit-base-patch32');
    assert.ok((vit?.bytes ?? 0) > 600_000);
  });

  test('remove deletes the folder and says clearly when a model is not there', async () => {
    await pull();
    const removed = await removeModel(modelsDir, 'ViT-B-32');
    assert.ok(removed.bytes > 0);
    await assert.rejects(stat(join(modelsDir, 'ViT-B-32')), /ENOENT/);
    await assert.rejects(removeModel(modelsDir, 'ViT-B-32'), (error: unknown) => {
      assert.ok(error instanceof UserError);
      assert.match(error.message, /model 'ViT-B-32' is not installed/);
      return true;
    });
    await assert.rejects(removeModel(modelsDir, '../etc'), UserError);
    await mkdir(join(modelsDir, 'stuff'));
    await assert.rejects(removeModel(modelsDir, 'stuff'), /does not look like a model folder/);
  });
});
