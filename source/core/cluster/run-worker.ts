/**
 * `worker`: takes shard jobs from the queue and hands each to a ShardProcessor, reporting progress through the
 * job. A stop (the signal) takes no new jobs and lets the active ones finish for up to graceMs, then aborts them
 * and puts them back in the queue. A worker killed outright leaves its job locked; the lock expires after lockMs
 * and another worker's stalled check puts it back. Redis lost past the bound ends the run with a UserError.
 */
import {hostname} from 'node:os';
import {UserError} from '../errors.js';
import {ClusterQueue, type QueueSnapshot} from './queue.js';
import type {RedisAddress} from './redis-url.js';
import {type ShardJobEvent, ShardJobs} from './shard-jobs.js';
import type {ClusterRecord, RedisEvent, ShardProcessor} from './types.js';

export const WORKER_DEFAULTS = {
  concurrency: 1,
  lockMs: 30_000,
  graceMs: 30_000,
  progressIntervalMs: 1_000,
} as const;
const EMPTY_POLL_MS = 1_000;

export type WorkerStopReason = 'interrupted' | 'empty' | 'redis-gone' | 'wrong-collection';

export interface WorkerReport {
  worker: string;
  queue: string;
  shardsDone: number;
  shardsFailed: number;
  shardsReleased: number;
  rows: number;
  interrupted: boolean;
  stopReason: WorkerStopReason;
  seconds: number;
}

export type WorkerEvent =
  | RedisEvent
  | {
      type: 'ready';
      worker: string;
      queue: string;
      address: string;
      concurrency: number;
      record: ClusterRecord | null;
    }
  | ShardJobEvent
  | {type: 'stalled'; shard: string}
  | {type: 'stopping'; active: string[]; graceMs: number}
  | {type: 'done'; report: WorkerReport};

export interface ClusterWorkerOptions {
  address: RedisAddress;
  queue: string;
  processor: ShardProcessor;
  concurrency?: number;
  lockMs?: number;
  graceMs?: number;
  /** Exit once nothing is waiting, delayed or active in the queue. */
  untilEmpty?: boolean;
  progressIntervalMs?: number;
  redisGiveUpMs?: number;
  /** Folders as this machine mounts them, when they differ from the submitter's paths. */
  embeddingsDir?: string;
  imagesDir?: string;
  /** The dtype this worker was told to use; must match the collection's. */
  dtype?: string;
  signal: AbortSignal;
  onEvent?: (event: WorkerEvent) => void;
}

export async function runClusterWorker(options: ClusterWorkerOptions): Promise<WorkerReport> {
  const emit = options.onEvent ?? (() => {});
  const started = Date.now();
  const worker = `${hostname()}:${process.pid}`;
  const concurrency = options.concurrency ?? WORKER_DEFAULTS.concurrency;
  const graceMs = options.graceMs ?? WORKER_DEFAULTS.graceMs;
  const queue = await ClusterQueue.open({
    address: options.address,
    queue: options.queue,
    onEvent: emit,
    giveUpMs: options.redisGiveUpMs,
  });
  let wrongCollection!: (error: UserError) => void;
  const refused = new Promise<UserError>((resolve) => {
    wrongCollection = resolve;
  });
  let record: ClusterRecord | null = null;
  const jobs = new ShardJobs({
    worker,
    processor: options.processor,
    progressIntervalMs: options.progressIntervalMs ?? WORKER_DEFAULTS.progressIntervalMs,
    emit,
    async record() {
      // A worker started before the first submit learns the record with its first job.
      record ??= await queue.readRecord();
      if (record === null) throw new Error(`queue ${queue.name} has jobs but no collection record`);
      const problem = dtypeProblem(record, options.dtype);
      if (problem) {
        wrongCollection(problem);
        return null;
      }
      return {
        ...record,
        embeddingsDir: options.embeddingsDir ?? record.embeddingsDir,
        imagesDir: options.imagesDir ?? record.imagesDir,
      };
    },
  });
  let stopReason: WorkerStopReason = 'interrupted';
  let endError: UserError | undefined;
  const stopPolling = new AbortController();
  try {
    record = await queue.readRecord();
    const problem = record && dtypeProblem(record, options.dtype);
    if (problem) throw problem;
    emit({type: 'ready', worker, queue: queue.name, address: options.address.display, concurrency, record});
    const consumer = queue.consume({
      workerName: worker,
      concurrency,
      lockMs: options.lockMs ?? WORKER_DEFAULTS.lockMs,
      onStalled: (shard) => emit({type: 'stalled', shard}),
      handle: (job) => jobs.handle(job),
    });
    stopReason = await Promise.race([
      aborted(options.signal).then(() => 'interrupted' as const),
      queue.lost.then((error) => {
        endError = error;
        return 'redis-gone' as const;
      }),
      refused.then((error) => {
        endError = error;
        return 'wrong-collection' as const;
      }),
      options.untilEmpty ? whenEmpty(queue, stopPolling.signal) : new Promise<never>(() => {}),
    ]);
    stopPolling.abort();
    if (stopReason === 'redis-gone') {
      // Nothing can be handed back without Redis: the shards in progress return to the queue when their locks expire.
      jobs.abortAll('abandon');
      await withTimeout(consumer.close(true), 5_000);
    } else {
      emit({type: 'stopping', active: jobs.activeShards, graceMs});
      const grace = setTimeout(() => jobs.abortAll('release'), graceMs);
      try {
        await consumer.close();
      } finally {
        clearTimeout(grace);
      }
    }
  } finally {
    stopPolling.abort();
    await withTimeout(queue.close(), 5_000);
  }
  if (endError) throw endError;
  const report: WorkerReport = {
    worker,
    queue: options.queue,
    ...jobs.totals,
    interrupted: stopReason === 'interrupted',
    stopReason,
    seconds: (Date.now() - started) / 1000,
  };
  emit({type: 'done', report});
  return report;
}

function dtypeProblem(record: ClusterRecord, dtype: string | undefined): UserError | undefined {
  if (dtype === undefined || dtype === record.dtype) return undefined;
  return new UserError(
    `this worker was started with --dtype ${dtype}, but queue ${record.queue} fills a ${record.model} ${record.dtype} collection`,
    `start it with --dtype ${record.dtype} (or without --dtype): one collection has one model`,
  );
}

function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), {once: true}));
}

async function whenEmpty(queue: ClusterQueue, stop: AbortSignal): Promise<'empty'> {
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, EMPTY_POLL_MS));
    if (stop.aborted) return new Promise<never>(() => {});
    const counts: QueueSnapshot['counts'] | null = await queue.counts().catch(() => null);
    if (counts && counts.waiting + counts.active + counts.delayed === 0) return 'empty';
  }
}

async function withTimeout(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    promise.catch(() => undefined),
    new Promise((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
}
