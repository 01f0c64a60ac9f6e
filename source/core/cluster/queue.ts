/**
 * The one module that touches Redis (ioredis) and BullMQ. Redis carries coordination only: one job per shard whose
 * data is the shard's spec, its progress and its small result; images and vectors go through the shared folder.
 * A first connection fails fast with the address and the fix; an established one that drops is retried with
 * backoff (events say so) and given up after a bound, which rejects what was pending and resolves `lost`.
 */
import {hostname} from 'node:os';
import {type Job, Queue, WaitingError, Worker} from 'bullmq';
import {Redis} from 'ioredis';
import {describeError, UserError} from '../errors.js';
import type {RedisAddress} from './redis-url.js';
import type {ClusterRecord, RedisEvent, ShardJobProgress, ShardResult, ShardSpec} from './types.js';

export const DEFAULT_QUEUE = 'visual-cortex';
/** How long an established connection may stay down before the command gives up. */
export const DEFAULT_REDIS_GIVE_UP_MS = 60_000;
const PROBE_TIMEOUT_MS = 5_000;
/** Tries of a shard whose processor throws, with exponential backoff from backoffMs between them. */
export const DEFAULT_SHARD_RETRY = {attempts: 3, backoffMs: 5_000} as const;

export function checkQueueName(name: string): string {
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) {
    throw new UserError(
      `'${name}' is not a queue name`,
      'use 1-64 letters, digits, dots, dashes or underscores',
    );
  }
  return name;
}

/** Reconnect delays 0.1, 0.2, 0.4 ... 2 s; stateless, so BullMQ's duplicated connections share it safely. */
function backoffMs(attempt: number): number {
  return Math.min(100 * 2 ** (attempt - 1), 2_000);
}

function waitedMs(attempt: number): number {
  let total = 0;
  for (let i = 1; i < attempt; i++) total += backoffMs(i);
  return total;
}

function unreachable(address: RedisAddress, error: unknown): UserError {
  const text = describeError(error);
  if (/NOAUTH|WRONGPASS|invalid password|invalid username/i.test(text)) {
    return new UserError(
      `Redis at ${address.display} refused the credentials (${text})`,
      'put the right user and password in the URL: redis://USER:PASSWORD@HOST:PORT',
    );
  }
  return new UserError(
    `cannot reach Redis at ${address.display} (${text})`,
    `start it there (e.g. 'redis-server --port ${address.port}') or fix --redis; every worker and the submitter need it`,
  );
}

/** One short connection that must answer PING: the fail-fast check before anything waits on Redis. */
async function probe(address: RedisAddress): Promise<void> {
  let lastError: unknown;
  const client = new Redis(address.url, {
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    connectTimeout: PROBE_TIMEOUT_MS,
    commandTimeout: PROBE_TIMEOUT_MS,
  });
  client.on('error', (error) => {
    lastError = error;
  });
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    throw unreachable(address, lastError ?? error);
  } finally {
    client.disconnect();
  }
}

export interface OpenQueueOptions {
  address: RedisAddress;
  queue: string;
  onEvent?: (event: RedisEvent) => void;
  giveUpMs?: number;
}

export interface QueueSnapshot {
  counts: Record<'waiting' | 'active' | 'completed' | 'failed' | 'delayed', number>;
  active: {id: string; attempt: number; progress: ShardJobProgress | null; count: number}[];
  failed: {id: string; reason: string; attempts: number; finishedAt: number | null}[];
  /** Names of the worker processes connected now (busy or idle). */
  workers: string[];
}

export interface ClaimedShard {
  spec: ShardSpec;
  attempt: number;
  /** Aborted when BullMQ cancels the job (its lock was lost). */
  signal: AbortSignal | undefined;
  progress(progress: ShardJobProgress): Promise<void>;
}

export interface ConsumeOptions {
  workerName: string;
  concurrency: number;
  lockMs: number;
  /** 'release' puts the job back in the waiting list (a graceful stop that could not finish it). */
  handle(job: ClaimedShard): Promise<ShardResult | 'release'>;
  onStalled?(shard: string): void;
  onError?(error: Error): void;
}

export interface ShardConsumer {
  /** Stops taking jobs, waits for the active ones (or not, with force), and closes the worker's connections. */
  close(force?: boolean): Promise<void>;
}

export class ClusterQueue {
  /** Resolves once Redis stayed unreachable past the bound; everything pending on it has failed by then. */
  readonly lost: Promise<UserError>;
  private readonly queue: Queue<ShardSpec, ShardResult>;
  private readonly recordKey: string;
  private closing = false;

  private constructor(
    private readonly client: Redis,
    readonly name: string,
    readonly address: RedisAddress,
    lost: Promise<UserError>,
  ) {
    this.lost = lost;
    this.queue = new Queue(name, {connection: client});
    this.queue.on('error', () => {});
    this.recordKey = `visual-cortex:${name}:record`;
  }

  static async open(options: OpenQueueOptions): Promise<ClusterQueue> {
    const {address} = options;
    const name = checkQueueName(options.queue);
    const emit = options.onEvent ?? (() => {});
    const giveUpMs = options.giveUpMs ?? DEFAULT_REDIS_GIVE_UP_MS;
    await probe(address);
    let down = false;
    let resolveLost!: (error: UserError) => void;
    const lost = new Promise<UserError>((resolve) => {
      resolveLost = resolve;
    });
    let opened: ClusterQueue | undefined;
    const client = new Redis(address.url, {
      lazyConnect: true,
      maxRetriesPerRequest: null,
      connectionName: `visual-cortex:${hostname()}:${process.pid}`,
      retryStrategy(attempt) {
        down = true;
        const waited = waitedMs(attempt);
        if (waited >= giveUpMs) {
          emit({type: 'redis-gone', address: address.display, waitedMs: waited});
          return null;
        }
        const delayMs = backoffMs(attempt);
        emit({type: 'redis-retrying', address: address.display, attempt, delayMs, waitedMs: waited});
        return delayMs;
      },
    });
    client.on('error', () => {});
    client.on('ready', () => {
      if (down) emit({type: 'redis-back', address: address.display});
      down = false;
    });
    client.on('end', () => {
      if (opened?.closing) return;
      resolveLost(
        new UserError(
          `lost Redis at ${address.display} for over ${Math.round(giveUpMs / 1000)} s`,
          'nothing committed is lost: once Redis is back, run the command again (a shard in progress goes back to the queue when its lock expires)',
        ),
      );
    });
    await client.connect().catch((error: unknown) => {
      client.disconnect();
      throw unreachable(address, error);
    });
    opened = new ClusterQueue(client, name, address, lost);
    return opened;
  }

  async readRecord(): Promise<ClusterRecord | null> {
    const text = await this.client.get(this.recordKey);
    return text === null ? null : (JSON.parse(text) as ClusterRecord);
  }

  /** Writes the record unless one is there already; returns the one that holds. */
  async claimRecord(record: ClusterRecord): Promise<{record: ClusterRecord; created: boolean}> {
    const set = await this.client.set(this.recordKey, JSON.stringify(record), 'NX');
    if (set === 'OK') return {record, created: true};
    const existing = await this.readRecord();
    if (existing === null) return this.claimRecord(record);
    return {record: existing, created: false};
  }

  /** Enqueues the specs whose job id is not in the queue yet (any state); returns how many were added. */
  async addShards(
    specs: readonly ShardSpec[],
    retry: {attempts: number; backoffMs: number} = DEFAULT_SHARD_RETRY,
  ): Promise<number> {
    const opts = {attempts: retry.attempts, backoff: {type: 'exponential', delay: retry.backoffMs}};
    let added = 0;
    for (let start = 0; start < specs.length; start += 500) {
      const chunk = specs.slice(start, start + 500);
      const states = await Promise.all(chunk.map((spec) => this.queue.getJobState(spec.id)));
      const fresh = chunk.filter((_, index) => states[index] === 'unknown');
      if (fresh.length === 0) continue;
      await this.queue.addBulk(
        fresh.map((spec) => ({name: 'shard', data: spec, opts: {...opts, jobId: spec.id}})),
      );
      added += fresh.length;
    }
    return added;
  }

  async snapshot(failedLimit = 20): Promise<QueueSnapshot> {
    const [counts, active, failed, workers] = await Promise.all([
      this.counts(),
      this.queue.getActive(0, 9_999),
      this.queue.getFailed(0, failedLimit - 1),
      this.queue.getWorkers(),
    ]);
    return {
      counts,
      active: active.map((job) => ({
        id: String(job.id),
        attempt: job.attemptsStarted,
        progress: typeof job.progress === 'object' ? (job.progress as unknown as ShardJobProgress) : null,
        count: (job.data as ShardSpec).count,
      })),
      failed: failed.map((job) => ({
        id: String(job.id),
        reason: job.failedReason ?? 'unknown',
        attempts: job.attemptsMade,
        finishedAt: job.finishedOn ?? null,
      })),
      workers: workers.map((entry) => /:w:(.*)$/.exec(entry.rawname ?? '')?.[1] ?? entry.name ?? '?'),
    };
  }

  /** Moves every failed job back to waiting; returns how many there were. */
  async retryFailed(): Promise<number> {
    const failed = await this.queue.getFailedCount();
    if (failed > 0) await this.queue.retryJobs({state: 'failed', count: 1_000});
    return failed;
  }

  consume(options: ConsumeOptions): ShardConsumer {
    const processor = async (job: Job<ShardSpec, ShardResult>, token?: string, signal?: AbortSignal) => {
      const outcome = await options.handle({
        spec: job.data,
        attempt: job.attemptsStarted,
        signal,
        progress: (progress) => job.updateProgress(progress),
      });
      if (outcome !== 'release') return outcome;
      await job.moveToWait(token);
      throw new WaitingError();
    };
    const worker = new Worker<ShardSpec, ShardResult>(this.name, processor, {
      connection: this.client,
      name: options.workerName,
      concurrency: options.concurrency,
      lockDuration: options.lockMs,
      stalledInterval: Math.max(500, Math.round(options.lockMs / 2)),
      // A shard that kills its worker three times (an image that exhausts memory, say) is failed, not retried forever.
      maxStalledCount: 3,
      runRetryDelay: 1_000,
    });
    worker.on('error', (error) => options.onError?.(error));
    worker.on('stalled', (id) => options.onStalled?.(id));
    return {close: (force) => worker.close(force)};
  }

  async counts(): Promise<QueueSnapshot['counts']> {
    const counts = await this.queue.getJobCounts(
      'waiting',
      'prioritized',
      'active',
      'completed',
      'failed',
      'delayed',
    );
    return {
      waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
      active: counts.active ?? 0,
      completed: counts.completed ?? 0,
      failed: counts.failed ?? 0,
      delayed: counts.delayed ?? 0,
    };
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.queue.close().catch(() => undefined);
    this.client.disconnect();
  }
}
