import assert from 'node:assert/strict';
import {mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {setTimeout as delay} from 'node:timers/promises';
import {batchLengths} from '../../source/core/embed/batch-schedule.js';
import {type EmbedOptions, embedImages} from '../../source/core/embed/embed-images.js';
import {createEmbedder, type Embedder} from '../../source/core/embed/embedder.js';
import {createSessionPool, defaultSessions, threadsPerSession} from '../../source/core/embed/session-pool.js';
import {UserError} from '../../source/core/errors.js';
import type {InferenceClient, InferenceResult} from '../../source/core/runtime/inference-client.js';
import {compareWithGolden, fixtureEmbedOptions, readOutputs, tinyClip} from './helpers.js';

let work: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'vc-sessions-'));
});
after(async () => {
  await rm(work, {recursive: true, force: true});
});

function options(overrides: Partial<EmbedOptions> & {embeddingsDir: string}): EmbedOptions {
  return fixtureEmbedOptions(work, {batchSize: 2, ...overrides});
}

/** A client whose runs finish when the test says so. */
function manualClient(name: string) {
  const started: {finish: () => void}[] = [];
  const client: InferenceClient = {
    inputs: [],
    outputs: [],
    run: () =>
      new Promise<InferenceResult>((resolve) => {
        started.push({finish: () => resolve({data: new Float32Array([name.length]), dims: [1], ms: 0})});
      }),
    close: async () => {},
  };
  return {client, started};
}

test('the session pool runs one batch per session at once and hands a freed session to the next waiter', async () => {
  const first = manualClient('a');
  const second = manualClient('bb');
  const pool = createSessionPool([first.client, second.client]);
  const runs = [0, 1, 2].map(() => pool.run('in', 'out', new Float32Array(1), [1]));
  await delay(10);
  assert.equal(first.started.length + second.started.length, 2, 'two runs start, the third waits');
  second.started[0]?.finish();
  await delay(10);
  assert.equal(second.started.length, 2, 'the third run goes to the session that came free');
  first.started[0]?.finish();
  second.started[1]?.finish();
  const results = await Promise.all(runs);
  // The first run took the last idle session ('bb'), the second the other, the third the one freed first.
  assert.deepEqual(
    results.map((result) => result.data[0]),
    [2, 1, 2],
  );
});

test('threads are split evenly over sessions, and q8 on the CPU gets two sessions by default when it has two threads', () => {
  assert.deepEqual(threadsPerSession(2, 2), [1, 1]);
  assert.deepEqual(threadsPerSession(3, 2), [2, 1]);
  assert.deepEqual(threadsPerSession(8, 3), [3, 3, 2]);
  assert.equal(defaultSessions('q8', 2, 'cpu'), 2);
  assert.equal(defaultSessions('q8', 16, 'cpu'), 2);
  assert.equal(defaultSessions('q8', 1, 'cpu'), 1);
  assert.equal(defaultSessions('fp32', 16, 'cpu'), 1);
  assert.equal(defaultSessions('q8', 16, 'cuda'), 1);
});

test('more sessions than threads is a user error with a fix', async () => {
  await assert.rejects(
    createEmbedder({
      model: tinyClip,
      modelsDir: join(work, 'no-models'),
      dtype: 'fp32',
      device: 'cpu',
      threads: 1,
      sessions: 2,
    }),
    (error: unknown) =>
      error instanceof UserError &&
      /thread count \(1\), got 2/.test(error.message) &&
      /--sessions/.test(error.hint ?? ''),
  );
});

/** The embedder, with its first inference held back and the number of inferences at once counted. */
function slowFirstInference(embedder: Embedder): {embedder: Embedder; most: () => number} {
  let active = 0;
  let most = 0;
  let calls = 0;
  const infer: Embedder['infer'] = async (batch) => {
    const call = calls++;
    active++;
    most = Math.max(most, active);
    try {
      if (call === 0) await delay(300);
      return await embedder.infer(batch);
    } finally {
      active--;
    }
  };
  return {embedder: {...embedder, infer}, most: () => most};
}

for (const sessions of [1, 2]) {
  test(`with ${sessions} session(s), up to ${sessions} batch(es) are in the model at once and rows keep file order`, async () => {
    const real = await createEmbedder({
      model: tinyClip,
      modelsDir: join(work, 'no-models'),
      dtype: 'fp32',
      device: 'cpu',
      threads: 2,
      sessions,
      batchSize: 2,
    });
    try {
      assert.equal(real.sessions, sessions);
      const watched = slowFirstInference(real);
      const embeddingsDir = join(work, `order-${sessions}`);
      await embedImages({...options({embeddingsDir}), embedder: watched.embedder});
      assert.equal(watched.most(), sessions);
      const outputs = await readOutputs(embeddingsDir);
      assert.deepEqual(outputs.filenames, [...outputs.filenames].sort());
      assert.equal(outputs.filenames.length, 8);
      for (const result of await compareWithGolden(outputs))
        assert.ok(result.cosine >= 0.9999, `${result.name}: ${result.cosine}`);
    } finally {
      await real.close();
    }
  });
}

test('two sessions give the rows one session gives, and metadata says how many ran', async () => {
  const one = await embedImages(options({embeddingsDir: join(work, 's1'), sessions: 1}));
  const two = await embedImages(options({embeddingsDir: join(work, 's2'), sessions: 2}));
  assert.equal(one.metadata.inference_sessions, 1);
  assert.equal(two.metadata.inference_sessions, 2);
  assert.equal(two.metadata.intra_op_threads, 2);
  const a = await readOutputs(join(work, 's1'));
  const b = await readOutputs(join(work, 's2'));
  assert.deepEqual(b.filenames, a.filenames);
  for (const [row, vector] of b.rows.entries()) {
    let worst = 0;
    for (const [index, value] of vector.entries())
      worst = Math.max(worst, Math.abs(value - (a.rows[row]?.[index] ?? 0)));
    // Measured: 0 here (one thread per session against two in one; tiny-clip's kernels sum in the same order).
    assert.ok(worst < 1e-6, `${b.filenames[row]}: max abs diff ${worst}`);
  }
});

test('an abort with two sessions lets the batches in the model finish and writes them, in order', async () => {
  const embeddingsDir = join(work, 'aborted');
  const controller = new AbortController();
  const report = await embedImages({
    ...options({embeddingsDir, sessions: 2}),
    signal: controller.signal,
    onEvent: (event) => {
      if (event.type === 'batch' && event.done === 3) controller.abort();
    },
  });
  assert.equal(report.metadata.interrupted, true);
  const outputs = await readOutputs(embeddingsDir);
  // Batches of 1, 2, 2, 2, 1 (nextBatchLength): 1 and 2 ran together, then 3 with 2; at the abort (after 2)
  // batch 3 was in the model: 5 rows.
  assert.equal(outputs.rows.length, 5);
  assert.deepEqual(outputs.filenames, [...outputs.filenames].sort());
  assert.equal(outputs.metadata.counts.ok, 5);
  for (const result of await compareWithGolden(outputs)) assert.ok(result.cosine >= 0.9999, result.name);
});

test('batches ramp up from one image, and with several sessions the last files go out in shrinking batches', () => {
  // One session: the ramp, then full batches; the last batch takes what is left, as before.
  assert.deepEqual(batchLengths(40, 8, 1), [1, 2, 4, 8, 8, 8, 8, 1]);
  // Two sessions: the same ramp, then half of what is left per session once that is under a batch each.
  assert.deepEqual(batchLengths(40, 8, 2), [1, 2, 4, 8, 8, 8, 5, 2, 1, 1]);
  assert.deepEqual(batchLengths(3, 8, 2), [1, 1, 1]);
  assert.deepEqual(batchLengths(100, 32, 1), [1, 2, 4, 8, 16, 32, 32, 5]);
  for (const [files, batchSize, sessions] of [
    [1, 8, 1],
    [7, 8, 2],
    [321, 16, 3],
  ] as const) {
    const lengths = batchLengths(files, batchSize, sessions);
    assert.equal(
      lengths.reduce((sum, length) => sum + length, 0),
      files,
    );
    assert.ok(lengths.every((length) => length >= 1 && length <= batchSize));
  }
});
