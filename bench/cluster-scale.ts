/**
 * Cluster throughput on this machine: the same URL list embedded by 1 worker process (all cores) and by 2 worker
 * processes (the cores split between them), real `worker` commands against a real redis-server, images from an
 * in-memory server on 127.0.0.1, the full-size ViT-B/32 q8 graph (random weights, real compute; or --model PATH).
 * Also what Redis served per shard while the workers ran (INFO commandstats/stats before and after).
 * Prints one JSON object (docs/scale.md quotes it). Timings are noisy on a shared host: compare the ratio.
 *   node --import tsx bench/cluster-scale.ts [--images 256] [--shard-size 32] [--workers 1,2] [--model PATH]
 */
import {spawn} from 'node:child_process';
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import {availableParallelism, loadavg, tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {parseArgs} from 'node:util';
import {type RedisServer, startRedisServer} from '../test/helpers/redis-server.js';
import {startImageServer} from './image-server.js';
import {renderJpeg} from './images.js';
import {ensureModelFolder} from './model-folder.js';

const {values} = parseArgs({
  options: {
    images: {type: 'string', default: '256'},
    'shard-size': {type: 'string', default: '32'},
    workers: {type: 'string', default: '1,2'},
    model: {type: 'string'},
    dtype: {type: 'string', default: 'q8'},
  },
});
const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const imageCount = Number(values.images);
const shardSize = Number(values['shard-size']);
const cores = availableParallelism();

interface RedisStats {
  commands: number;
  bytes: number;
}

function redisStats(redis: RedisServer): RedisStats {
  const info = redis.cli('INFO', 'stats');
  const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? 0);
  return {
    commands: field('total_commands_processed'),
    bytes: field('total_net_input_bytes') + field('total_net_output_bytes'),
  };
}

/** A CLI child; `dones` gets the time of each "shard N: done" line (the worker's log goes to stderr). */
function cli(args: string[], dones: number[] = []): Promise<{code: number | null; output: string}> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'source/cli.tsx', ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk;
    for (const _ of chunk.toString().matchAll(/shard \d{8}: done/g)) dones.push(performance.now());
  });
  return new Promise((resolve) => child.on('exit', (code) => resolve({code, output})));
}

/**
 * Images/s once every worker is warm: shards finished after the last worker's first shard, over that window
 * (leaves out process start and model load, which a long run pays once).
 */
function warmRate(perWorker: number[][]): number | null {
  const warmFrom = Math.max(...perWorker.map((times) => times[0] ?? Infinity));
  const after = perWorker.flat().filter((time) => time > warmFrom);
  const last = Math.max(...after);
  return after.length === 0
    ? null
    : Math.round(((after.length * shardSize) / ((last - warmFrom) / 1000)) * 100) / 100;
}

const model =
  values.model ??
  (await ensureModelFolder({
    graphsDir: join(repoRoot, '../shared/fixtures/vit-b32-graphs'),
    templateDir: join(repoRoot, '../shared/fixtures/clip/tiny-clip'),
    outDir: join(repoRoot, 'bench/.cache/models/vit-b32-q8'),
    graphs: ['vision_model_quantized'],
    onProgress: (message) => process.stderr.write(`${message}\n`),
  }));
process.stderr.write(`rendering ${imageCount} 640x480 JPEGs\n`);
const images = await Promise.all(
  Array.from({length: imageCount}, (_, i) => renderJpeg(`cluster-${i}`, 640, 480)),
);
const server = await startImageServer(images);
const redis = await startRedisServer();
const folder = await mkdtemp(join(tmpdir(), 'vc-cluster-scale-'));
const runs: Record<string, unknown>[] = [];
try {
  const list = join(folder, 'urls.txt');
  await writeFile(list, `${server.urls.join('\n')}\n`);
  for (const workers of values.workers.split(',').map(Number)) {
    const queue = `scale-${workers}`;
    const common = ['--redis', redis.url, '--queue', queue];
    const submit = await cli([
      'cluster',
      'submit',
      ...common,
      ...['--provider', 'urls', '--urls', list, '--shard-size', String(shardSize), '--workers', '4'],
      ...['--images', join(folder, queue, 'images'), '--embeddings', join(folder, queue, 'embeddings')],
      ...['--model', model, '--dtype', values.dtype],
    ]);
    if (submit.code !== 0) throw new Error(submit.output);
    redis.cli('CONFIG', 'RESETSTAT');
    const before = redisStats(redis);
    const threads = String(Math.max(1, Math.floor(cores / workers)));
    const load = loadavg()[0];
    const started = performance.now();
    const dones = Array.from({length: workers}, () => [] as number[]);
    const results = await Promise.all(
      dones.map((times) => cli(['worker', ...common, '--until-empty', '--threads', threads], times)),
    );
    const seconds = (performance.now() - started) / 1000;
    const failed = results.filter((result) => result.code !== 0);
    if (failed.length > 0) throw new Error(failed.map((result) => result.output).join('\n'));
    const after = redisStats(redis);
    const shards = Math.ceil(imageCount / shardSize);
    const run = {
      workers,
      threadsPerWorker: Number(threads),
      images: imageCount,
      shards,
      seconds: Math.round(seconds * 10) / 10,
      imagesPerSecond: Math.round((imageCount / seconds) * 100) / 100,
      warmImagesPerSecond: warmRate(dones),
      redisCommandsPerShard: Math.round(((after.commands - before.commands) / shards) * 10) / 10,
      redisBytesPerShard: Math.round((after.bytes - before.bytes) / shards),
      loadBefore: Math.round((load ?? 0) * 10) / 10,
      loadAfter: Math.round((loadavg()[0] ?? 0) * 10) / 10,
    };
    process.stderr.write(`${JSON.stringify(run)}\n`);
    runs.push(run);
  }
  const first = runs[0]?.warmImagesPerSecond as number | undefined;
  process.stdout.write(
    `${JSON.stringify(
      {
        bench: 'cluster-scale',
        at: new Date().toISOString(),
        cores,
        model: values.model ? model : `ViT-B/32 ${values.dtype} (random weights)`,
        shardSize,
        note: 'imagesPerSecond includes process start and model load; warm: after every worker finished its first shard. Shared noisy host: compare ratios',
        runs: runs.map((run) => ({
          ...run,
          warmSpeedup: first ? Math.round(((run.warmImagesPerSecond as number) / first) * 100) / 100 : null,
        })),
      },
      null,
      2,
    )}\n`,
  );
} finally {
  await server.close();
  await redis.close();
  await rm(folder, {recursive: true, force: true});
}
