/** Submit, status and retry-failed against a real Redis, and the errors for a bad or unreachable one. */
import assert from 'node:assert/strict';
import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {parseRedisUrl} from '../../source/core/cluster/redis-url.js';
import {runClusterWorker} from '../../source/core/cluster/run-worker.js';
import {readClusterStatus, retryFailedShards} from '../../source/core/cluster/status.js';
import {type SubmitOptions, submitShards} from '../../source/core/cluster/submit.js';
import type {ShardProcessor} from '../../source/core/cluster/types.js';
import {UserError} from '../../source/core/errors.js';
import {freePort, type RedisServer, startRedisOrSkip} from '../helpers/redis-server.js';
import {startCli} from './worker-process.js';

let redis: RedisServer | undefined;
let work: string;
let urls: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'vc-cluster-queue-'));
  urls = join(work, 'list.txt');
  await writeFile(urls, `${Array.from({length: 12}, (_, i) => `http://127.0.0.1:9/${i}.jpg`).join('\n')}\n`);
});
after(async () => {
  await redis?.close();
  await rm(work, {recursive: true, force: true});
});

async function server(t: {skip: (message: string) => void}): Promise<RedisServer | undefined> {
  redis ??= await startRedisOrSkip(t);
  return redis;
}

function submitOptions(r: RedisServer, queue: string, overrides: Partial<SubmitOptions> = {}): SubmitOptions {
  return {
    address: parseRedisUrl(r.url),
    queue,
    embeddingsDir: join(work, queue, 'embeddings'),
    imagesDir: join(work, queue, 'images'),
    model: 'ViT-B-32',
    dtype: 'fp32',
    downloadWorkers: 2,
    shardSize: 3,
    source: {provider: 'urls', urls, width: 64, height: 64},
    ...overrides,
  };
}

test('submitting the same source twice adds no jobs; another source or model on the queue is refused', {
  timeout: 120_000,
}, async (t) => {
  const r = await server(t);
  if (!r) return;
  const first = await submitShards(submitOptions(r, 'twice'));
  assert.deepEqual([first.added, first.existing, first.record.shards, first.record.images], [4, 0, 4, 12]);
  const second = await submitShards(submitOptions(r, 'twice'));
  assert.deepEqual([second.added, second.existing], [0, 4]);
  const status = await readClusterStatus({address: parseRedisUrl(r.url), queue: 'twice'});
  assert.deepEqual(status.counts, {waiting: 4, active: 0, completed: 0, failed: 0, delayed: 0});
  assert.equal(status.imagesLeft, 12);
  assert.equal(r.cli('LLEN', 'bull:twice:wait'), '4', 'four jobs in Redis, whatever was submitted');

  await assert.rejects(submitShards(submitOptions(r, 'twice', {shardSize: 4})), (error: unknown) => {
    assert.ok(error instanceof UserError);
    assert.match(error.message, /another source or shard size/);
    assert.match(error.hint ?? '', /--queue NAME/);
    return true;
  });
  await assert.rejects(
    submitShards(submitOptions(r, 'twice', {dtype: 'q8'})),
    /one collection has one model/,
  );
  await assert.rejects(
    submitShards(submitOptions(r, 'twice', {embeddingsDir: join(work, 'elsewhere')})),
    /already fills/,
  );
  assert.equal(r.cli('LLEN', 'bull:twice:wait'), '4');
});

test('cluster shards start after the shards already in the collection', {timeout: 120_000}, async (t) => {
  const r = await server(t);
  if (!r) return;
  const embeddingsDir = join(work, 'existing', 'embeddings');
  for (const id of ['00000000', '00000001', '00000004'])
    await mkdir(join(embeddingsDir, 'shards', id), {recursive: true});
  const report = await submitShards(submitOptions(r, 'existing', {embeddingsDir}));
  assert.equal(report.record.firstShard, '00000005');
  assert.equal(r.cli('EXISTS', 'bull:existing:00000005'), '1');
});

test('a collection folder another model owns is refused at submit, before anything is queued', {
  timeout: 120_000,
}, async (t) => {
  const r = await server(t);
  if (!r) return;
  const embeddingsDir = join(work, 'owned', 'embeddings');
  await mkdir(embeddingsDir, {recursive: true});
  const model = {name: 'ViT-B-32', path: '/m', file: 'onnx/vision_model_quantized.onnx', dtype: 'q8'};
  const header = {model: {...model, preprocess_version: 'clip-v1'}, embedding_dim: 512, images_dir: '/i'};
  await writeFile(
    join(embeddingsDir, 'manifest.json'),
    JSON.stringify({
      format: 1,
      header: {...header, shard_size: 4, created_at: ''},
      shards: [],
      tombstones: [],
    }),
  );
  await assert.rejects(submitShards(submitOptions(r, 'owned', {embeddingsDir})), (error: unknown) => {
    assert.ok(error instanceof UserError);
    assert.match(error.message, /holds embeddings of ViT-B-32 q8/);
    assert.match(error.hint ?? '', /--dtype q8, or use another --embeddings folder/);
    return true;
  });
  assert.equal(r.cli('EXISTS', 'bull:owned:00000000'), '0');
});

test('after Redis lost the queue, the same source gets the same shard ids back from the collection', {
  timeout: 120_000,
}, async (t) => {
  const r = await server(t);
  if (!r) return;
  const first = await submitShards(submitOptions(r, 'lost'));
  assert.equal(first.record.firstShard, '00000000');
  // Two shards were committed before Redis lost everything.
  for (const id of ['00000000', '00000001'])
    await mkdir(join(work, 'lost', 'embeddings', 'shards', id), {recursive: true});
  r.cli('FLUSHALL');
  const again = await submitShards(submitOptions(r, 'lost'));
  assert.equal(again.record.firstShard, '00000000', 'not shifted past the committed shards');
  assert.deepEqual([again.added, again.existing], [4, 0]);
});

test('a failing shard is listed with its reason; retry-failed puts it back and a worker finishes it', {
  timeout: 120_000,
}, async (t) => {
  const r = await server(t);
  if (!r) return;
  const address = parseRedisUrl(r.url);
  await submitShards(submitOptions(r, 'retry', {retry: {attempts: 1, backoffMs: 10}}));
  let broken = true;
  const processor: ShardProcessor = async (spec) => {
    if (broken && spec.id === '00000002') throw new Error('disk full (simulated)');
    return {rows: spec.count, failed: 0, failures: [], sha256: null, committed: false, seconds: 0};
  };
  const run = () =>
    runClusterWorker({
      address,
      queue: 'retry',
      processor,
      untilEmpty: true,
      signal: new AbortController().signal,
    });
  const report = await run();
  assert.deepEqual([report.shardsDone, report.shardsFailed, report.stopReason], [3, 1, 'empty']);
  const status = await readClusterStatus({address, queue: 'retry'});
  assert.deepEqual(status.counts, {waiting: 0, active: 0, completed: 3, failed: 1, delayed: 0});
  assert.deepEqual(
    status.failures.map((failure) => [failure.id, failure.reason]),
    [['00000002', 'disk full (simulated)']],
  );
  assert.equal(await retryFailedShards({address, queue: 'retry'}), 1);
  broken = false;
  assert.equal((await run()).shardsDone, 1);
  assert.deepEqual((await readClusterStatus({address, queue: 'retry'})).counts.completed, 4);
});

test('an unreachable Redis fails fast, naming host:port and the fix; a bad URL too; both exit 2', {
  timeout: 120_000,
}, async () => {
  const port = await freePort();
  const started = Date.now();
  await assert.rejects(
    readClusterStatus({address: parseRedisUrl(`redis://127.0.0.1:${port}`), queue: 'x'}),
    (error: unknown) => {
      assert.ok(error instanceof UserError);
      assert.match(
        error.message,
        new RegExp(`cannot reach Redis at 127\\.0\\.0\\.1:${port} \\(.*ECONNREFUSED`),
      );
      assert.match(error.hint ?? '', /redis-server --port/);
      return true;
    },
  );
  assert.ok(Date.now() - started < 5_000, 'no retry loop before the first connection');

  const status = startCli(['cluster', 'status', '--redis', `redis://127.0.0.1:${port}`]);
  assert.equal(await status.exited, 2);
  assert.match(status.output(), /error: cannot reach Redis at 127\.0\.0\.1:\d+/);
  assert.match(status.output(), /fix: /);
  assert.doesNotMatch(status.output(), /\n\s+at /, 'no stack trace');
  const worker = startCli(['worker', '--redis', 'http://127.0.0.1:6379']);
  assert.equal(await worker.exited, 2);
  assert.match(worker.output(), /unsupported scheme 'http:\/\/'/);
});
