/**
 * The worker's side of each shard job: run the processor with an abort signal and throttled progress, keep the
 * totals, and turn an abort at the end of a graceful stop into 'release' (the job goes back to waiting) rather
 * than a failure. Apart from run-worker.ts so the stop logic there reads on its own.
 */
import {describeError} from '../errors.js';
import {ProgressPublisher} from './progress-publisher.js';
import type {ClaimedShard} from './queue.js';
import type {ClusterRecord, ShardJobProgress, ShardProcessor, ShardResult} from './types.js';

/** Failures kept in a job's stored result; the rest are counted. */
const STORED_FAILURES = 20;

export type ShardJobEvent =
  | {type: 'shard-start'; shard: string; attempt: number; images: number}
  | {type: 'shard-progress'; progress: ShardJobProgress}
  | {type: 'shard-done'; shard: string; result: ShardResult}
  | {type: 'shard-failed'; shard: string; reason: string}
  | {type: 'shard-released'; shard: string};

export interface ShardJobsOptions {
  worker: string;
  processor: ShardProcessor;
  progressIntervalMs: number;
  /** The collection record as this machine sees it, or null when this worker must not serve the queue. */
  record(): Promise<ClusterRecord | null>;
  emit(event: ShardJobEvent): void;
}

export class ShardJobs {
  readonly totals = {shardsDone: 0, shardsFailed: 0, shardsReleased: 0, rows: 0};
  private readonly active = new Map<string, AbortController>();
  private ending: 'release' | 'abandon' | undefined;

  constructor(private readonly options: ShardJobsOptions) {}

  get activeShards(): string[] {
    return [...this.active.keys()];
  }

  /** Aborts every shard in progress: 'release' gives them back to the queue, 'abandon' leaves them to their lock. */
  abortAll(mode: 'release' | 'abandon'): void {
    this.ending = mode;
    for (const controller of this.active.values()) controller.abort();
  }

  async handle(job: ClaimedShard): Promise<ShardResult | 'release'> {
    const {spec} = job;
    const {emit} = this.options;
    const controller = new AbortController();
    const onCancel = () => controller.abort();
    job.signal?.addEventListener('abort', onCancel, {once: true});
    this.active.set(spec.id, controller);
    emit({type: 'shard-start', shard: spec.id, attempt: job.attempt, images: spec.count});
    const publisher = new ProgressPublisher({
      shard: spec.id,
      worker: this.options.worker,
      total: spec.count,
      intervalMs: this.options.progressIntervalMs,
      write: (progress) => job.progress(progress),
      onPublish: (progress) => emit({type: 'shard-progress', progress}),
    });
    try {
      const record = await this.options.record();
      if (record === null) return this.released(spec.id);
      const result = await this.options.processor(spec, {
        signal: controller.signal,
        onProgress: (progress) => publisher.update(progress),
        record,
        attempt: job.attempt,
      });
      await publisher.finish();
      this.totals.shardsDone++;
      this.totals.rows += result.rows;
      emit({type: 'shard-done', shard: spec.id, result});
      // File lists stay out of Redis: a shard's stored result is a few hundred bytes whatever its size.
      return {...result, files: undefined, failures: result.failures.slice(0, STORED_FAILURES)};
    } catch (error) {
      if (controller.signal.aborted && this.ending === 'release') return this.released(spec.id);
      if (!(controller.signal.aborted && this.ending === 'abandon')) {
        this.totals.shardsFailed++;
        emit({type: 'shard-failed', shard: spec.id, reason: describeError(error)});
      }
      throw error;
    } finally {
      publisher.stop();
      this.active.delete(spec.id);
      job.signal?.removeEventListener('abort', onCancel);
    }
  }

  private released(shard: string): 'release' {
    this.totals.shardsReleased++;
    this.options.emit({type: 'shard-released', shard});
    return 'release';
  }
}
