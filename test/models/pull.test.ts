import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {once} from 'node:events';
import {mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterEach, beforeEach, describe, test} from 'node:test';
import {UserError} from '../../source/core/errors.js';
import {readManifest} from '../../source/core/model/manifest.js';
import {openModelFolder} from '../../source/core/model/model-folder.js';
import {pullModel} from '../../source/core/model/pull.js';
import type {PullEvent, PullOptions} from '../../source/core/model/pull-types.js';
import {FAKE_COMMIT, type FakeHub, startFakeHub, TINY_CLIP_DIR} from '../helpers/hub-server.js';

let hub: FakeHub;
let modelsDir: string;

beforeEach(async () => {
  hub = await startFakeHub();
  modelsDir = await mkdtemp(join(tmpdir(), 'vc-pull-'));
});

afterEach(async () => {
  await hub.close();
  await rm(modelsDir, {recursive: true, force: true});
});

function pull(overrides: Partial<PullOptions> = {}, events: PullEvent[] = []) {
  return pullModel({
    modelsDir,
    model: 'ViT-B-32',
    dtypes: ['q8'],
    env: {HF_ENDPOINT: hub.endpoint},
    retry: {attempts: 4, baseDelayMs: 1, maxDelayMs: 2},
    onEvent: (event) => events.push(event),
    ...overrides,
  });
}

async function sameBytes(installed: string, fixturePath: string): Promise<boolean> {
  const [a, b] = await Promise.all([readFile(installed), readFile(join(TINY_CLIP_DIR, fixturePath))]);
  return a.equals(b);
}

const Q8_FILES = [
  'config.json',
  'onnx/text_model_quantized.onnx',
  'onnx/vision_model_quantized.onnx',
  'preprocessor_config.json',
  'special_tokens_map.json',
  'tokenizer.json',
  'tokenizer_config.json',
];

/** Settles once the staged part of the q8 vision graph holds `bytes` (or after 10 s, when the test fails anyway). */
async function partReaches(bytes: number): Promise<void> {
  const part = join(modelsDir, '.staging-ViT-B-32', 'onnx', 'vision_model_quantized.onnx.part');
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
    const size = await stat(part).then(
      (info) => info.size,
      () => 0,
    );
    if (size >= bytes) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
describe('models pull from a fake Hub', () => {
  test('installs the q8 files, checked against the Hub checksums, following the CDN redirect', async () => {
    const events: PullEvent[] = [];
    const result = await pull({}, events);
    const dir = join(modelsDir, 'ViT-B-32');
    assert.equal(result.dir, dir);
    for (const path of Q8_FILES) assert.ok(await sameBytes(join(dir, path), path), path);
    const manifest = await readManifest(dir);
    assert.ok(manifest);
    assert.equal(manifest.repo, 'Xenova/clip-vit-base-patch32');
    assert.equal(manifest.commit, FAKE_COMMIT);
    assert.deepEqual(
      manifest.files.map((file) => file.path),
      Q8_FILES,
    );
    const byPath = new Map(manifest.files.map((file) => [file.path, file]));
    assert.equal(byPath.get('onnx/vision_model_quantized.onnx')?.checkedAgainst, 'hub-sha256');
    assert.equal(byPath.get('tokenizer.json')?.checkedAgainst, 'hub-git-sha1');
    // Files after the first are asked for at the commit the first answer named, so all come from one commit.
    assert.match(
      byPath.get('onnx/text_model_quantized.onnx')?.sourceUrl ?? '',
      new RegExp(`/resolve/${FAKE_COMMIT}/`),
    );
    const cdnGets = hub.requests.filter((request) => request.server === 'cdn');
    assert.equal(cdnGets.length, 2, 'both graphs came from the CDN after a 302');
    assert.ok(events.some((event) => event.type === 'file-progress' && event.totalBytes !== null));
    assert.equal(events.at(-1)?.type, 'installed');
    // Nothing left behind but the model.
    assert.deepEqual((await readdir(modelsDir)).sort(), ['ViT-B-32']);
    const folder = await openModelFolder('ViT-B-32', {modelsDir, dtype: 'q8', needText: true});
    assert.equal(folder.dir, dir);
  });

  test('resumes with Range after the connection is reset mid-file and ends with the right bytes', async () => {
    hub.faults.resetMidFile = {
      path: 'onnx/vision_model_quantized.onnx',
      afterBytes: 100_000,
      times: 1,
      beforeCut: () => partReaches(100_000),
    };
    const events: PullEvent[] = [];
    await pull({}, events);
    const ranged = hub.requests.filter((request) => request.server === 'cdn' && request.range !== undefined);
    assert.ok(ranged.length >= 1, 'a Range request was made');
    const offset = Number(/^bytes=(\d+)-$/.exec(ranged[0]?.range ?? '')?.[1]);
    assert.ok(offset > 0 && offset <= 100_000, `resumed from ${offset}`);
    assert.ok(events.some((event) => event.type === 'file-retry'));
    assert.ok(events.some((event) => event.type === 'file-start' && event.resumeFrom === offset));
    const path = 'onnx/vision_model_quantized.onnx';
    assert.ok(await sameBytes(join(modelsDir, 'ViT-B-32', path), path));
  });

  test('a later run resumes the .part an earlier, failed run left', async () => {
    hub.faults.resetMidFile = {
      path: 'onnx/vision_model_quantized.onnx',
      afterBytes: 150_000,
      times: 2,
      beforeCut: () => partReaches(150_000),
    };
    await assert.rejects(pull({retry: {attempts: 1, baseDelayMs: 1, maxDelayMs: 1}}), (error: unknown) => {
      assert.ok(error instanceof UserError);
      assert.match(
        error.message,
        /cannot download http:\/\/127\.0\.0\.1:\d+\/Xenova\/clip-vit-base-patch32\/resolve\//,
      );
      assert.match(error.hint ?? '', /place the files by hand/);
      return true;
    });
    await assert.rejects(openModelFolder('ViT-B-32', {modelsDir, dtype: 'q8'}), UserError);
    hub.faults.resetMidFile = undefined;
    hub.requests.length = 0;
    await pull();
    const ranged = hub.requests.filter((request) => request.server === 'cdn' && request.range !== undefined);
    assert.equal(ranged.length, 1);
    assert.equal(ranged[0]?.range, 'bytes=150000-');
    assert.ok(
      await sameBytes(
        join(modelsDir, 'ViT-B-32', 'onnx/vision_model_quantized.onnx'),
        'onnx/vision_model_quantized.onnx',
      ),
    );
    // Files finished by the first run were not fetched again.
    assert.ok(!hub.requests.some((request) => request.url.endsWith('/config.json')));
  });

  test('a wrong checksum is rejected and nothing is installed', async () => {
    hub.faults.wrongChecksum = new Set(['onnx/vision_model_quantized.onnx']);
    await assert.rejects(pull(), (error: unknown) => {
      assert.ok(error instanceof UserError);
      assert.match(error.message, /onnx\/vision_model_quantized\.onnx .* failed its checksum/);
      assert.match(error.message, /nothing was installed/);
      return true;
    });
    await assert.rejects(stat(join(modelsDir, 'ViT-B-32')), /ENOENT/);
    // The embedding side's message says which command fetches the model.
    await assert.rejects(openModelFolder('ViT-B-32', {modelsDir, dtype: 'q8'}), (error: unknown) => {
      assert.ok(error instanceof UserError);
      assert.match(error.hint ?? '', /visual-cortex models pull ViT-B-32 --dtype q8/);
      return true;
    });
    const staged = await readdir(join(modelsDir, '.staging-ViT-B-32'), {recursive: true});
    assert.ok(!staged.some((entry) => entry.includes('vision_model_quantized')), 'the bad file was deleted');
  });

  test('a wrong git checksum on a small file is rejected too', async () => {
    hub.faults.wrongChecksum = new Set(['tokenizer.json']);
    await assert.rejects(pull(), /tokenizer\.json .* failed its checksum: the Hub says git-sha1 0{40}/);
    await assert.rejects(stat(join(modelsDir, 'ViT-B-32')), /ENOENT/);
  });

  test('404 names the repo, revision and file; optional files may be absent', async () => {
    await assert.rejects(pull({dtypes: ['fp16']}), (error: unknown) => {
      assert.ok(error instanceof UserError);
      assert.match(
        error.message,
        /Xenova\/clip-vit-base-patch32 has no file onnx\/vision_model_fp16\.onnx at revision/,
      );
      return true;
    });
    await assert.rejects(stat(join(modelsDir, 'ViT-B-32')), /ENOENT/);
    await assert.rejects(pull({revision: 'v9'}), /has no revision 'v9'/);
    await assert.rejects(pull({model: 'nobody/nothing'}), /repo nobody\/nothing not found/);

    hub.faults.missing = new Set(['special_tokens_map.json']);
    const result = await pull();
    assert.deepEqual(result.manifest!.absentOptional, ['special_tokens_map.json']);
  });

  test('401 without a token says to set HF_TOKEN; with the token it works and the CDN never sees it', async () => {
    hub.faults.requireToken = 'hf_secret';
    await assert.rejects(pull(), (error: unknown) => {
      assert.ok(error instanceof UserError);
      assert.match(error.message, /answered 401/);
      assert.match(error.hint ?? '', /set HF_TOKEN/);
      return true;
    });
    await assert.rejects(pull({env: {HF_ENDPOINT: hub.endpoint, HF_TOKEN: 'wrong'}}), /HF_TOKEN was refused/);
    hub.requests.length = 0;
    await pull({env: {HF_ENDPOINT: hub.endpoint, HF_TOKEN: 'hf_secret'}});
    const hubRequests = hub.requests.filter((request) => request.server === 'hub');
    const cdnRequests = hub.requests.filter((request) => request.server === 'cdn');
    assert.ok(
      hubRequests.length > 0 && hubRequests.every((request) => request.authorization === 'Bearer hf_secret'),
    );
    assert.ok(cdnRequests.length > 0 && cdnRequests.every((request) => request.authorization === undefined));
  });

  test('an unreachable endpoint names the URL and how to place the files by hand', async () => {
    await hub.close();
    const closedEndpoint = hub.endpoint;
    hub = await startFakeHub();
    await assert.rejects(pull({env: {HF_ENDPOINT: closedEndpoint}}), (error: unknown) => {
      assert.ok(error instanceof UserError);
      assert.ok(
        error.message.includes(`${closedEndpoint}/Xenova/clip-vit-base-patch32/resolve/main/config.json`),
      );
      assert.match(error.message, /cannot connect/);
      assert.match(error.hint ?? '', /onnx\/vision_model_quantized\.onnx/);
      assert.ok(error.hint?.includes(join(modelsDir, 'ViT-B-32')));
      return true;
    });
    assert.deepEqual(
      await readdir(modelsDir),
      [],
      'no empty staging folder is left to look like an interrupted pull',
    );
    await assert.rejects(pull({env: {HF_ENDPOINT: 'file:///etc'}}), /HF_ENDPOINT is not an http\(s\) URL/);
  });

  test('retries a 503, adds a dtype to an installed model, and skips what is already there', async () => {
    hub.faults.unavailableTimes = 1;
    await pull();
    hub.requests.length = 0;
    const again = await pull();
    assert.equal(again.alreadyInstalled, true);
    assert.equal(hub.requests.length, 0);

    const added = await pull({dtypes: ['fp32']});
    assert.deepEqual(added.downloaded.sort(), ['onnx/text_model.onnx', 'onnx/vision_model.onnx']);
    assert.deepEqual(added.manifest!.dtypes, ['q8', 'fp32']);
    assert.ok(hub.requests.every((request) => !request.url.endsWith('.json')));
    await openModelFolder('ViT-B-32', {modelsDir, dtype: 'fp32', needText: true});
    await openModelFolder('ViT-B-32', {modelsDir, dtype: 'q8', needText: true});
    assert.deepEqual((await readdir(modelsDir)).sort(), ['ViT-B-32']);
  });

  test('another revision replaces the install; a folder placed by hand is left alone', async () => {
    await pull({dtypes: ['q8', 'fp32']});
    const replaced = await pull({revision: FAKE_COMMIT});
    assert.equal(replaced.manifest!.revision, FAKE_COMMIT);
    assert.deepEqual(replaced.manifest!.dtypes, ['q8']);
    await assert.rejects(stat(join(modelsDir, 'ViT-B-32', 'onnx/vision_model.onnx')), /ENOENT/);
    assert.deepEqual((await readdir(modelsDir)).sort(), ['ViT-B-32']);

    await mkdir(join(modelsDir, 'ViT-B-16'));
    await writeFile(join(modelsDir, 'ViT-B-16', 'notes.txt'), 'mine');
    await assert.rejects(pull({model: 'ViT-B-16'}), /was not installed by 'models pull'.*left alone/);
    assert.equal(await readFile(join(modelsDir, 'ViT-B-16', 'notes.txt'), 'utf8'), 'mine');
  });

  test('progress events carry speed and ETA from the injected clock', async () => {
    let clock = 0;
    const events: PullEvent[] = [];
    await pull({now: () => (clock += 10)}, events);
    const progress = events.filter(
      (event): event is Extract<PullEvent, {type: 'file-progress'}> =>
        event.type === 'file-progress' && event.path === 'onnx/vision_model_quantized.onnx',
    );
    const last = progress.at(-1);
    assert.equal(last?.bytes, 394_666);
    assert.equal(last?.totalBytes, 394_666);
    assert.equal(last?.etaSeconds, 0);
    assert.ok((last?.bytesPerSecond ?? 0) > 0);
  });

  test('a Hub repo id installs under owner/name', async () => {
    const result = await pull({model: 'test-org/tiny-clip'});
    assert.equal(result.dir, join(modelsDir, 'test-org', 'tiny-clip'));
    await openModelFolder('test-org/tiny-clip', {modelsDir, dtype: 'q8', needText: true});
  });

  test('stops when aborted: reports interrupted, never throws, and leaves nothing installed', async () => {
    const controller = new AbortController();
    const result = await pull({
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === 'file-progress' && event.path.startsWith('onnx/')) controller.abort();
      },
    });
    assert.equal(result.interrupted, true);
    assert.equal(result.manifest, null);
    await assert.rejects(stat(join(modelsDir, 'ViT-B-32')), /ENOENT/);
  });
});

describe('one pull of a model into a folder at a time', () => {
  test('a second pull of the same model, started while the first runs, is refused with a fix; the other installs', async () => {
    // Both start at once, so either may take the lock first (under load the second one sometimes does).
    const results = await Promise.allSettled([pull(), pull()]);
    const refused = results.filter((result) => result.status === 'rejected');
    assert.equal(refused.length, 1, 'exactly one pull is refused');
    assert.equal(results.filter((result) => result.status === 'fulfilled').length, 1);
    const error = (refused[0] as PromiseRejectedResult).reason as UserError;
    assert.ok(error instanceof UserError, String(error));
    assert.match(
      error.message,
      new RegExp(`another pull of ViT-B-32 into .* is running \\(process ${process.pid}`),
    );
    assert.match(error.hint ?? '', /wait for it to finish/);
    await openModelFolder('ViT-B-32', {modelsDir, dtype: 'q8', needText: true});
    assert.deepEqual(await readdir(modelsDir), ['ViT-B-32'], 'the lock is gone once the pull ends');
  });

  test("a live process's lock is left alone; a dead one's is taken over", async () => {
    const lockPath = join(modelsDir, '.pull-ViT-B-32.lock');
    await writeFile(lockPath, JSON.stringify({pid: process.pid, started: 'earlier'}));
    await assert.rejects(
      pull(),
      (error: unknown) => error instanceof UserError && /process \d+, started earlier/.test(error.message),
    );
    assert.equal(hub.requests.length, 0, 'nothing was fetched');
    assert.match(await readFile(lockPath, 'utf8'), /earlier/);

    const exited = spawn(process.execPath, ['-e', '']);
    await once(exited, 'exit');
    await writeFile(lockPath, JSON.stringify({pid: exited.pid, started: 'before a crash'}));
    await pull();
    assert.deepEqual(await readdir(modelsDir), ['ViT-B-32']);
  });

  test('a models folder that cannot be made is a user error with a fix, before anything is fetched', async () => {
    const file = join(modelsDir, 'a-file');
    await writeFile(file, 'not a folder');
    await assert.rejects(
      pull({modelsDir: join(file, 'models')}),
      (error: unknown) =>
        error instanceof UserError &&
        /the models folder .* cannot be made: .*a-file is a file/.test(error.message) &&
        /--models-dir/.test(error.hint ?? ''),
    );
    assert.equal(hub.requests.length, 0);
  });
});
