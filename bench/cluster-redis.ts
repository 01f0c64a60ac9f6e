/**
 * What the cluster costs Redis, measured on a real redis-server (docs/scale.md quotes the numbers):
 * submit (commands, bytes and memory per shard job), processing (commands and bytes per shard and per second of
 * work, with progress reported every 10 ms and throttled by the worker), an idle worker's polling, and how many
 * empty shards a second one worker process can turn over (the coordination ceiling).
 * Processing runs at two shard durations, so the cost splits into a part per shard and a part per second of work.
 *   node --import tsx bench/cluster-redis.ts [--shards 32] [--shard-size 4096] [--seconds-per-shard 0.5,4]
 */
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {parseArgs} from 'node:util';
import {parseRedisUrl} from '../source/core/cluster/redis-url.js';
import {runClusterWorker} from '../source/core/cluster/run-worker.js';
import {submitShards} from '../source/core/cluster/submit.js';
import type {ShardProcessor} from '../source/core/cluster/types.js';
import {type RedisServer, startRedisServer} from '../test/helpers/redis-server.js';

const {values} = parseArgs({
  options: {
    shards: {type: 'string', default: '32'},
    'shard-size': {type: 'string', default: '4096'},
    'seconds-per-shard': {type: 'string', default: '0.5,4'},
    'idle-seconds': {type: 'string', default: '20'},
    'turnover-shards': {type: 'string', default: '400'},
  },
});
const shards = Number(values.shards);
const shardSize = Number(values['shard-size']);
const secondsPerShard = values['seconds-per-shard'].split(',').map(Number);

interface Stats {
  commands: number;
  netIn: number;
  netOut: number;
  memory: number;
  byCommand: Record<string, number>;
}

function stats(redis: RedisServer): Stats {
  const info = redis.cli('INFO', 'all');
  const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? 0);
  const byCommand: Record<string, number> = {};
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm))
    byCommand[match[1]!] = Number(match[2]);
  return {
    commands: field('total_commands_processed'),
    netIn: field('total_net_input_bytes'),
    netOut: field('total_net_output_bytes'),
    memory: field('used_memory'),
    byCommand,
  };
}

function reset(redis: RedisServer): Stats {
  redis.cli('CONFIG', 'RESETSTAT');
  return stats(redis);
}

function per(label: string, before: Stats, after: Stats, divisor: number, unit: string) {
  const top = Object.entries(after.byCommand)
    .map(([name, calls]) => [name, calls - (before.byCommand[name] ?? 0)] as const)
    .filter(([, calls]) => calls > 0)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 6)
    .map(([name, calls]) => `${name} ${(calls / divisor).toFixed(2)}`)
    .join(', ');
  const line = {
    label,
    commands: (after.commands - before.commands) / divisor,
    bytesIn: (after.netIn - before.netIn) / divisor,
    bytesOut: (after.netOut - before.netOut) / divisor,
    memory: (after.memory - before.memory) / divisor,
  };
  process.stdout.write(
    `${label}: per ${unit}: ${line.commands.toFixed(1)} commands, ${Math.round(line.bytesIn)} B in, ` +
      `${Math.round(line.bytesOut)} B out, memory ${Math.round(line.memory)} B  [${top}]\n`,
  );
  return line;
}

async function work(
  redis: RedisServer,
  queue: string,
  processor: ShardProcessor,
  count: number,
  concurrency = 1,
): Promise<number> {
  const controller = new AbortController();
  const started = performance.now();
  let done = 0;
  await runClusterWorker({
    address: parseRedisUrl(redis.url),
    queue,
    processor,
    concurrency,
    signal: controller.signal,
    onEvent: (event) => {
      if (event.type === 'shard-done' && ++done === count) controller.abort();
    },
  });
  return (performance.now() - started) / 1000;
}

const redis = await startRedisServer();
const folder = await mkdtemp(join(tmpdir(), 'vc-cluster-bench-'));
try {
  const address = parseRedisUrl(redis.url);
  const submit = async (queue: string, count: number, size: number) => {
    const urls = join(folder, `${queue}.txt`);
    const lines = Array.from(
      {length: count * size},
      (_, i) => `https://images.example.org/photos/2026/06/IMG_${String(i).padStart(7, '0')}.jpg`,
    );
    await writeFile(urls, `${lines.join('\n')}\n`);
    return submitShards({
      address,
      queue,
      embeddingsDir: join(folder, queue, 'embeddings'),
      imagesDir: join(folder, queue, 'images'),
      model: 'ViT-B-32',
      dtype: 'fp32',
      downloadWorkers: 8,
      shardSize: size,
      source: {provider: 'urls', urls, width: 1, height: 1},
    });
  };

  let before = reset(redis);
  await submit('urls', shards, shardSize);
  per(`submit ${shards} URL-list shards of ${shardSize}`, before, stats(redis), shards, 'shard');
  before = reset(redis);
  await submitShards({
    address,
    queue: 'range',
    embeddingsDir: join(folder, 'range', 'embeddings'),
    imagesDir: join(folder, 'range', 'images'),
    model: 'ViT-B-32',
    dtype: 'fp32',
    downloadWorkers: 8,
    shardSize,
    source: {provider: 'picsum', count: shards * shardSize, width: 1024, height: 768},
  });
  per(`submit ${shards} seeded-picsum range shards of ${shardSize}`, before, stats(redis), shards, 'shard');
  const rangeBytes = redis.cli('MEMORY', 'USAGE', 'bull:range:00000000', 'SAMPLES', '0');
  process.stdout.write(`  one waiting range job hash: ${rangeBytes} B\n`);
  const jobBytes = Number(redis.cli('MEMORY', 'USAGE', 'bull:urls:00000000', 'SAMPLES', '0'));
  process.stdout.write(`  one waiting job hash: ${jobBytes} B (MEMORY USAGE ... SAMPLES 0)\n`);

  const processor =
    (seconds: number): ShardProcessor =>
    async (spec, {onProgress}) => {
      const end = performance.now() + seconds * 1000;
      while (performance.now() < end) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        onProgress({stage: 'embed', done: 1, total: spec.count, failed: 0});
      }
      return {rows: spec.count, failed: 0, failures: [], sha256: 'x'.repeat(64), committed: true, seconds};
    };
  const measured: {seconds: number; commands: number; bytes: number}[] = [];
  for (const [index, seconds] of secondsPerShard.entries()) {
    const queue = `process-${index}`;
    await submit(queue, shards, shardSize);
    before = reset(redis);
    const took = await work(redis, queue, processor(seconds), shards);
    const line = per(`process ${shards} shards of ${seconds} s`, before, stats(redis), shards, 'shard');
    measured.push({seconds, commands: line.commands, bytes: line.bytesIn + line.bytesOut});
    process.stdout.write(
      `  over ${took.toFixed(1)} s: ${((line.commands * shards) / took).toFixed(1)} commands/s\n`,
    );
  }
  const [short, long] = [measured[0]!, measured.at(-1)!];
  const perSecond = (long.commands - short.commands) / (long.seconds - short.seconds);
  const bytesPerSecond = (long.bytes - short.bytes) / (long.seconds - short.seconds);
  process.stdout.write(
    `  => per shard ${(short.commands - perSecond * short.seconds).toFixed(1)} commands + ${perSecond.toFixed(2)} per second of work; ` +
      `bytes ${Math.round(short.bytes - bytesPerSecond * short.seconds)} + ${Math.round(bytesPerSecond)} per second\n`,
  );
  process.stdout.write(
    `  one completed job hash: ${redis.cli('MEMORY', 'USAGE', 'bull:process-0:00000000', 'SAMPLES', '0')} B\n`,
  );

  await submit('idle', 1, 1);
  await work(
    redis,
    'idle',
    async () => ({rows: 1, failed: 0, failures: [], sha256: null, committed: false, seconds: 0}),
    1,
  );
  const idleSeconds = Number(values['idle-seconds']);
  const idle = new AbortController();
  before = reset(redis);
  const idleRun = runClusterWorker({
    address,
    queue: 'idle',
    processor: async () => ({rows: 0, failed: 0, failures: [], sha256: null, committed: false, seconds: 0}),
    signal: idle.signal,
  });
  await new Promise((resolve) => setTimeout(resolve, idleSeconds * 1000));
  const idleAfter = stats(redis);
  idle.abort();
  await idleRun;
  per(`an idle worker for ${idleSeconds} s (start-up included)`, before, idleAfter, idleSeconds, 'second');

  const turnover = Number(values['turnover-shards']);
  await submit('turnover', turnover, 1);
  const empty: ShardProcessor = async (spec) => ({
    rows: spec.count,
    failed: 0,
    failures: [],
    sha256: null,
    committed: false,
    seconds: 0,
  });
  for (const concurrency of [1, 8]) {
    const queue = `turnover-${concurrency}`;
    await submit(queue, turnover, 1);
    const took = await work(redis, queue, empty, turnover, concurrency);
    process.stdout.write(
      `empty shards, one process, concurrency ${concurrency}: ${(turnover / took).toFixed(0)} shards/s\n`,
    );
  }
} finally {
  await redis.close();
  await rm(folder, {recursive: true, force: true});
}
