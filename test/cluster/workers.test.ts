/**
 * Worker processes against a real Redis: a worker killed with -9 mid-shard, Redis restarted mid-run, Redis gone
 * for good, and Ctrl+C finishing or releasing a shard. The workers are the real `worker` command with a fake
 * processor (children/fake-worker.ts) that sleeps per image and leaves marker files.
 */
import assert from 'node:assert/strict';
import {mkdir, mkdtemp, readdir, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {parseRedisUrl} from '../../source/core/cluster/redis-url.js';
import {readClusterStatus} from '../../source/core/cluster/status.js';
import {submitShards} from '../../source/core/cluster/submit.js';
import {type RedisServer, startRedisOrSkip} from '../helpers/redis-server.js';
import {type Child, startFakeWorker} from './worker-process.js';

let redis: RedisServer | undefined;
let work: string;
const children: Child[] = [];
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'vc-cluster-workers-'));
});
after(async () => {
  for (const child of children) if (child.process.exitCode === null) child.process.kill('SIGKILL');
  await redis?.close();
  await rm(work, {recursive: true, force: true});
});

/** A queue with `shards` one-image shards, its markers folder, and a way to start fake workers on it. */
async function setUp(t: {skip: (message: string) => void}, queue: string, shards: number) {
  redis ??= await startRedisOrSkip(t);
  if (!redis) return undefined;
  const r = redis;
  const folder = join(work, queue);
  const markers = join(folder, 'markers');
  await mkdir(markers, {recursive: true});
  const urls = join(folder, 'list.txt');
  await writeFile(
    urls,
    `${Array.from({length: shards}, (_, i) => `http://127.0.0.1:9/${i}.jpg`).join('\n')}\n`,
  );
  const address = parseRedisUrl(r.url);
  await submitShards({
    address,
    queue,
    embeddingsDir: join(folder, 'embeddings'),
    imagesDir: join(folder, 'images'),
    model: 'ViT-B-32',
    dtype: 'fp32',
    downloadWorkers: 1,
    shardSize: 1,
    source: {provider: 'urls', urls, width: 64, height: 64},
  });
  const worker = (msPerImage: number, ...flags: string[]) => {
    const child = startFakeWorker({
      markers,
      msPerImage,
      args: ['--redis', r.url, '--queue', queue, ...flags],
    });
    children.push(child);
    return child;
  };
  const markerNames = async () => (await readdir(markers)).sort();
  const counts = async () => (await readClusterStatus({address, queue})).counts;
  return {r, worker, markerNames, counts};
}

test('3 workers, 12 shards, one killed with -9 mid-shard: every shard completes exactly once', {
  timeout: 180_000,
}, async (t) => {
  const setup = await setUp(t, 'kill', 12);
  if (!setup) return;
  const lock = ['--lock-seconds', '5', '--until-empty'];
  const victim = setup.worker(600_000, ...lock);
  const [, shard] = await victim.waitFor(/shard (\d{8}): start/);
  const others = [setup.worker(150, ...lock), setup.worker(150, ...lock)];
  victim.process.kill('SIGKILL');
  assert.equal(await victim.exited, null);
  const codes = await Promise.all(others.map((child) => child.exited));
  assert.deepEqual(codes, [0, 0], others.map((child) => child.output()).join('\n'));

  assert.deepEqual(await setup.counts(), {waiting: 0, active: 0, completed: 12, failed: 0, delayed: 0});
  const names = await setup.markerNames();
  const done = names.filter((name) => name.includes('.done.'));
  assert.deepEqual(
    done.map((name) => name.slice(0, 8)),
    Array.from({length: 12}, (_, i) => String(i).padStart(8, '0')),
    'one completion per shard',
  );
  assert.ok(names.includes(`${shard}.start.${victim.pid}`), 'the victim had started its shard');
  assert.ok(!names.includes(`${shard}.done.${victim.pid}`), 'and died before finishing it');
  assert.match(
    others.map((child) => child.output()).join('\n'),
    new RegExp(`shard ${shard}: start \\(attempt 2`),
  );
});

test('Redis stopped for a few seconds mid-run: the workers retry, recover and finish every shard', {
  timeout: 180_000,
}, async (t) => {
  const setup = await setUp(t, 'restart', 12);
  if (!setup) return;
  const flags = ['--lock-seconds', '30', '--until-empty'];
  const workers = [setup.worker(400, ...flags), setup.worker(400, ...flags)];
  await Promise.all(workers.map((child) => child.waitFor(/shard \d{8}: done/)));
  await setup.r.stop();
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  await setup.r.start();
  const codes = await Promise.all(workers.map((child) => child.exited));
  const output = workers.map((child) => child.output()).join('\n');
  assert.deepEqual(codes, [0, 0], output);
  assert.match(output, /redis 127\.0\.0\.1:\d+ unreachable, retrying/);
  assert.match(output, /redis 127\.0\.0\.1:\d+ is back/);
  const counts = await setup.counts();
  assert.deepEqual([counts.completed, counts.failed, counts.waiting, counts.active], [12, 0, 0, 0]);
});

test('Ctrl+C lets the shard in progress finish; a second one past the grace period is released', {
  timeout: 180_000,
}, async (t) => {
  const setup = await setUp(t, 'graceful', 3);
  if (!setup) return;
  const patient = setup.worker(1_500, '--grace-seconds', '120');
  const [, first] = await patient.waitFor(/shard (\d{8}): start/);
  patient.process.kill('SIGINT');
  assert.equal(await patient.exited, 130, patient.output());
  assert.match(patient.output(), new RegExp(`shard ${first}: done`));
  assert.match(patient.output(), /stopping: finishing shard/);

  const hasty = setup.worker(600_000, '--grace-seconds', '0.2');
  const [, second] = await hasty.waitFor(/shard (\d{8}): start/);
  hasty.process.kill('SIGINT');
  assert.equal(await hasty.exited, 130, hasty.output());
  assert.match(hasty.output(), new RegExp(`shard ${second}: released back to the queue`));
  assert.deepEqual(await setup.counts(), {waiting: 2, active: 0, completed: 1, failed: 0, delayed: 0});
  assert.equal(
    setup.r.cli('LPOS', 'bull:graceful:wait', second!) !== '',
    true,
    'the released shard waits again',
  );
});

test('Redis gone for longer than --redis-wait-seconds: a clear error, exit 2', {
  timeout: 180_000,
}, async (t) => {
  const setup = await setUp(t, 'gone', 2);
  if (!setup) return;
  const worker = setup.worker(600_000, '--redis-wait-seconds', '2');
  await worker.waitFor(/shard \d{8}: start/);
  await setup.r.stop();
  try {
    assert.equal(await worker.exited, 2, worker.output());
    assert.match(worker.output(), /error: lost Redis at 127\.0\.0\.1:\d+ for over 2 s/);
    assert.match(worker.output(), /fix: nothing committed is lost/);
  } finally {
    await setup.r.start();
  }
});
