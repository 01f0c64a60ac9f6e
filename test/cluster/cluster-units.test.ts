import assert from 'node:assert/strict';
import {test} from 'node:test';
import {ProgressPublisher} from '../../source/core/cluster/progress-publisher.js';
import type {QueueSnapshot} from '../../source/core/cluster/queue.js';
import {parseRedisUrl, redisUrlFrom} from '../../source/core/cluster/redis-url.js';
import {buildStatus} from '../../source/core/cluster/status.js';
import type {ClusterRecord, ShardJobProgress} from '../../source/core/cluster/types.js';
import {UserError} from '../../source/core/errors.js';

test('Redis URLs: the address to print, the database, TLS; bad ones name the fix', () => {
  assert.deepEqual(parseRedisUrl('redis://10.0.0.5'), {
    url: 'redis://10.0.0.5',
    host: '10.0.0.5',
    port: 6379,
    db: 0,
    tls: false,
    display: '10.0.0.5:6379',
  });
  const secret = parseRedisUrl('rediss://user:s3cret@cache.example:6380/2');
  assert.equal(secret.display, 'cache.example:6380/2');
  assert.equal(secret.tls, true);
  assert.equal(parseRedisUrl('redis://[::1]:7000').display, '[::1]:7000');
  const refusal = (text: string, pattern: RegExp) =>
    assert.throws(
      () => parseRedisUrl(text),
      (error: unknown) => error instanceof UserError && pattern.test(error.message) && Boolean(error.hint),
    );
  refusal('localhost:6379', /not a Redis URL/);
  refusal('http://localhost:6379', /unsupported scheme 'http:\/\/'/);
  refusal('redis://localhost/queue', /not a Redis database number/);
  assert.throws(
    () => parseRedisUrl('redis://user:s3cret@exa mple'),
    (error: unknown) => error instanceof UserError && !error.message.includes('s3cret'),
  );
  assert.throws(() => redisUrlFrom(undefined, {}), /need a Redis server/);
  assert.equal(redisUrlFrom(undefined, {VISUAL_CORTEX_REDIS_URL: 'redis://h:1'}).display, 'h:1');
});

const record = {shards: 10, images: 1000} as ClusterRecord;

function progress(
  worker: string,
  shard: string,
  done: number,
  rate: number,
  updatedAt: number,
): ShardJobProgress {
  const [host = '', pid = '0'] = worker.split(':');
  return {
    stage: 'embed',
    done,
    total: 100,
    failed: 1,
    shard,
    worker,
    host,
    pid: Number(pid),
    imagesPerSecond: rate,
    rssBytes: 1e8,
    peakRssBytes: 2e8,
    startedAt: 0,
    updatedAt,
  };
}

test('status: a row per active shard from its progress, idle workers from the connections, rate and ETA', () => {
  const snapshot: QueueSnapshot = {
    counts: {waiting: 5, active: 2, completed: 3, failed: 0, delayed: 0},
    active: [
      {id: '00000004', attempt: 1, progress: progress('b:2', '00000004', 40, 10, 9_000), count: 100},
      {id: '00000003', attempt: 2, progress: progress('a:1', '00000003', 90, 5, 1_000), count: 100},
    ],
    failed: [],
    workers: ['a:1', 'b:2', 'c:3', 'c:3'],
  };
  const status = buildStatus(snapshot, record, {queue: 'q', address: 'h:1', now: 10_000});
  assert.deepEqual(
    status.workers.map((row) => [row.worker, row.shard, row.done, row.silentSeconds]),
    [
      ['a:1', '00000003', 90, 9],
      ['b:2', '00000004', 40, 1],
      ['c:3', null, 0, null],
    ],
  );
  assert.equal(status.workers[2]!.host, 'c');
  assert.equal(status.imagesPerSecond, 15);
  // 5 waiting shards of 100 images, plus 10 + 60 left in the active ones.
  assert.equal(status.imagesLeft, 570);
  assert.equal(status.etaSeconds, 38);
  const idle = buildStatus({...snapshot, active: []}, record, {queue: 'q', address: 'h:1', now: 0});
  assert.equal(idle.etaSeconds, null, 'no rate, no ETA');
});

test('progress: one write per interval, a stage change at once, the latest value at the end', async () => {
  let now = 1_000;
  const written: ShardJobProgress[] = [];
  const publisher = new ProgressPublisher({
    shard: '00000001',
    worker: 'h:1',
    total: 100,
    intervalMs: 60_000,
    now: () => now,
    write: async (value) => {
      written.push(value);
    },
  });
  await publisher.finish();
  assert.deepEqual(
    written.map((value) => value.stage),
    ['starting'],
  );
  publisher.update({stage: 'download', done: 1, total: 100, failed: 0});
  await Promise.resolve();
  for (let done = 2; done <= 50; done++) publisher.update({stage: 'download', done, total: 100, failed: 0});
  now += 10_000;
  await publisher.finish();
  publisher.stop();
  assert.deepEqual(
    written.map((value) => [value.stage, value.done]),
    [
      ['starting', 0],
      ['download', 1],
      ['download', 50],
    ],
  );
  assert.equal(written[2]!.imagesPerSecond, 5);
  assert.ok(written[2]!.peakRssBytes >= written[2]!.rssBytes * 0.5);
});
