import {DEFAULT_QUEUE} from '../core/cluster/queue.js';
import {redisUrlFrom} from '../core/cluster/redis-url.js';
import {runClusterWorker, WORKER_DEFAULTS} from '../core/cluster/run-worker.js';
import {createShardProcessor} from '../core/cluster/shard-processor.js';
import type {ShardProcessor} from '../core/cluster/types.js';
import {UserError} from '../core/errors.js';
import {parseDtype} from '../core/model/model-folder.js';
import {printWorkerSummary, workerPrinter} from './cluster-output.js';
import {type CommandContext, defineCommand} from './command.js';
import {exitCodeFor} from './exit-codes.js';
import {optionalEmbeddingsFlag, optionalImagesFlag} from './options/folders.js';
import {printJson} from './output.js';

export const workerFlags = {
  redis: {type: 'string'},
  queue: {type: 'string', default: DEFAULT_QUEUE},
  concurrency: {type: 'number', default: WORKER_DEFAULTS.concurrency},
  threads: {type: 'number'},
  dtype: {type: 'string'},
  device: {type: 'string'},
  embeddingsDir: optionalEmbeddingsFlag(),
  imagesDir: optionalImagesFlag(),
  untilEmpty: {type: 'boolean', default: false},
  lockSeconds: {type: 'number', default: WORKER_DEFAULTS.lockMs / 1000},
  graceSeconds: {type: 'number', default: WORKER_DEFAULTS.graceMs / 1000},
  redisWaitSeconds: {type: 'number', default: 60},
} as const;

type WorkerContext = CommandContext<{
  redis?: string;
  queue: string;
  concurrency: number;
  threads?: number;
  dtype?: string;
  device?: string;
  embeddingsDir?: string;
  imagesDir?: string;
  untilEmpty: boolean;
  lockSeconds: number;
  graceSeconds: number;
  redisWaitSeconds: number;
}>;

function seconds(value: number, flag: string, min: number): number {
  if (!Number.isFinite(value) || value < min)
    throw new UserError(`--${flag} must be at least ${min} seconds (got ${value})`, `pass e.g. --${flag} 30`);
  return value * 1000;
}

/** The worker with a given processor: the command passes the real one, tests a fake. */
export async function runWorker(context: WorkerContext, processor?: ShardProcessor): Promise<number> {
  const {flags, io, signal, env} = context;
  const address = redisUrlFrom(flags.redis, env);
  if (!Number.isInteger(flags.concurrency) || flags.concurrency < 1 || flags.concurrency > 64)
    throw new UserError(
      `--concurrency must be a whole number from 1 to 64 (got ${flags.concurrency})`,
      'pass e.g. --concurrency 2',
    );
  if (flags.threads !== undefined && !(Number.isInteger(flags.threads) && flags.threads >= 1))
    throw new UserError(
      `--threads must be a positive whole number (got ${flags.threads})`,
      'pass e.g. --threads 4',
    );
  const dtype = flags.dtype === undefined ? undefined : parseDtype(flags.dtype);
  const own =
    processor === undefined
      ? createShardProcessor({device: flags.device, threads: flags.threads, modelsDir: flags.modelsDir, env})
      : undefined;
  const report = await runClusterWorker({
    address,
    queue: flags.queue,
    processor: processor ?? (own as ShardProcessor),
    concurrency: flags.concurrency,
    lockMs: seconds(flags.lockSeconds, 'lock-seconds', 1),
    graceMs: seconds(flags.graceSeconds, 'grace-seconds', 0),
    redisGiveUpMs: seconds(flags.redisWaitSeconds, 'redis-wait-seconds', 1),
    untilEmpty: flags.untilEmpty,
    embeddingsDir: flags.embeddingsDir,
    imagesDir: flags.imagesDir,
    dtype,
    signal,
    onEvent: workerPrinter(io),
  }).finally(() => own?.close());
  if (flags.json) printJson(io, report);
  else printWorkerSummary(io, report);
  return exitCodeFor({interrupted: report.interrupted, complete: true});
}

export const workerCommand = defineCommand({
  name: 'worker',
  summary: 'cluster: take shard jobs from Redis, download, embed and commit them',
  usage: `
  Usage
    $ visual-cortex worker --redis URL [options]

  Takes shard jobs that 'visual-cortex cluster submit' queued, on as many machines as you like, and writes each
  shard into the collection (a folder every worker and the submitter reach: a shared filesystem). Progress goes
  through the job: see 'visual-cortex cluster status'. A worker that dies leaves its shard locked; another worker
  takes it after --lock-seconds. Ctrl+C: no new shards; the ones in progress finish, or go back to the queue
  after --grace-seconds. Ctrl+C again quits at once.

  Options
    --redis URL               redis://HOST:PORT (or $VISUAL_CORTEX_REDIS_URL)
    --queue NAME              the queue the shards were submitted to (default ${DEFAULT_QUEUE})
    --concurrency N           shards at a time (default ${WORKER_DEFAULTS.concurrency})
    --threads N               inference threads
    --dtype fp32|q8|fp16      must match the collection's, if given
    --device NAME             cpu (default), cuda, coreml, dml, webgpu
    --embeddings DIR          the collection folder as this machine mounts it (default: the submitter's path)
    --images DIR              the images folder as this machine mounts it (default: the submitter's path)
    --until-empty             exit 0 once no shard is waiting or in progress (batch jobs)
    --lock-seconds S          how long a silent worker keeps its shard (default ${WORKER_DEFAULTS.lockMs / 1000})
    --grace-seconds S         how long Ctrl+C waits for a shard to finish (default ${WORKER_DEFAULTS.graceMs / 1000})
    --redis-wait-seconds S    how long to retry a Redis that went away before giving up (default 60)
    --json                    print the final report as JSON

  Exit status: 0 queue empty (--until-empty), 130 stopped by Ctrl+C, 2 bad options or Redis unreachable.
`,
  flags: workerFlags,
  run: (context) => runWorker(context as WorkerContext),
});
