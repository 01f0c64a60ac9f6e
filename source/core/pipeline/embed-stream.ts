/**
 * The embedding engine behind `embed`, `run` and cluster workers: images come from any async source (a folder's
 * sync plan, the downloader's kept images, a shard job), go through a bounded channel, are formed into batches
 * from what is queued (batch-schedule.ts: read-ahead, one batch per session), and their rows go to a sink (the
 * collection writer, whose full shards commit by themselves). Fresh vectors go to the cache; cached ones are
 * reused. Each file is embedded at most once per stream (a name seen twice is skipped).
 *
 *   const run = await embedStream({source, embedder, sink: writer, cache, signal, onEvent});
 */
import type {ShardExtras, ShardRows} from '../collection/shard.js';
import type {ShardInfo} from '../collection/types.js';
import {batchOutcomes} from '../embed/batch-outcomes.js';
import {inferBatchesInOrder} from '../embed/batch-schedule.js';
import type {EmbeddingCachePort} from '../embed/cache-port.js';
import {batchProgress, type EmbedEvent, memoryEvent} from '../embed/embed-events.js';
import type {Embedder} from '../embed/embedder.js';
import {batchPreparer, type ImageItem} from '../embed/read-batch.js';
import {BoundedChannel, mergeSources} from './bounded-channel.js';

export type {ImageItem};

/** Where rows go: the collection writer, or a cluster worker's one-shard writer. */
export interface RowSink {
  /** Returns the shards this append committed (none while a shard is filling). */
  append(batch: ShardRows & ShardExtras): Promise<readonly ShardInfo[]>;
}

export interface EmbedStreamOptions {
  source: AsyncIterable<ImageItem>;
  embedder: Embedder;
  sink: RowSink;
  cache?: EmbeddingCachePort | undefined;
  signal?: AbortSignal | undefined;
  onEvent?: ((event: EmbedEvent) => void) | undefined;
  /** Prepare the next batch during inference (default true). */
  readAhead?: boolean | undefined;
  clock?: (() => number) | undefined;
  /**
   * Images the stream will bring in all, as known now (progress, the last batches' sizes); default: those taken
   * so far plus those queued. A fixed list gives its length.
   */
  expected?: (() => number) | undefined;
  /** Items queued between a source that is not a channel and the batches (default: sessions + 1 batches). */
  capacity?: number | undefined;
  /** How long a batch waits to fill once it has an image (default 50 ms); a slow source gets small batches. */
  batchWaitMs?: number | undefined;
}

export interface StreamRun {
  /** Rows appended (embedded or from the cache). */
  appended: number;
  failures: {file: string; reason: string}[];
  cacheHits: number;
  /** Shards committed by the sink during the stream. */
  committed: ShardInfo[];
  preprocessMs: number;
  inferenceMs: number;
  /** Wall time from the first image taken to the last row appended (0 when nothing came). */
  embedMs: number;
  /** The signal stopped images that had come, or were still to come, from being embedded. */
  interrupted: boolean;
}

const DEFAULT_BATCH_WAIT_MS = 50;

export async function embedStream(options: EmbedStreamOptions): Promise<StreamRun> {
  const {embedder, sink, cache, signal} = options;
  const clock = options.clock ?? (() => performance.now());
  const emit = options.onEvent ?? (() => {});
  const run: StreamRun = {
    appended: 0,
    failures: [],
    cacheHits: 0,
    committed: [],
    preprocessMs: 0,
    inferenceMs: 0,
    embedMs: 0,
    interrupted: false,
  };
  const capacity = options.capacity ?? embedder.batchSize * (embedder.sessions + 1);
  const channel = asChannel(options.source, capacity);
  const seen = new Set<string>();
  let taken = 0;
  let start: number | undefined;
  const expected = () => options.expected?.() ?? taken + channel.available;
  const take = async (length: number): Promise<ImageItem[]> => {
    const items: ImageItem[] = [];
    // Names seen before are dropped; keep taking until the batch has something or the stream ends.
    while (items.length === 0) {
      const got = await channel.take(length, {waitMs: options.batchWaitMs ?? DEFAULT_BATCH_WAIT_MS, signal});
      if (got.length === 0) break;
      for (const item of got) {
        if (seen.has(item.relative)) continue;
        seen.add(item.relative);
        items.push(item);
      }
    }
    taken += items.length;
    if (items.length > 0) start ??= clock();
    return items;
  };
  const prepare = await batchPreparer(embedder, cache, clock);
  let progress: ReturnType<typeof batchProgress> | undefined;
  try {
    const batches = inferBatchesInOrder({
      take,
      remaining: () => (channel.closed ? channel.available : undefined),
      ended: () => channel.done,
      batchSize: embedder.batchSize,
      sessions: embedder.sessions,
      prepare,
      infer: embedder.infer,
      signal,
      readAhead: options.readAhead,
      onInterrupt: () => {
        run.interrupted = true;
      },
    });
    for await (const {ready, inferred} of batches) {
      progress ??= batchProgress(expected, clock, start ?? clock());
      run.preprocessMs += ready.ms;
      run.inferenceMs += inferred.inferenceMs;
      const outcomes = batchOutcomes(ready, inferred.results);
      run.cacheHits += outcomes.cacheHits;
      for (const failure of outcomes.failures) {
        run.failures.push(failure);
        emit({type: 'failure', file: failure.file, reason: failure.reason});
      }
      const committed = await sink.append({
        rows: outcomes.rows,
        filenames: outcomes.filenames,
        images: outcomes.images,
        failures: outcomes.failures,
        timings: {preprocess: ready.ms, inference: inferred.inferenceMs},
      });
      run.appended += outcomes.rows.length;
      if (cache && outcomes.fresh.length > 0) cache.putMany(outcomes.fresh);
      for (const shard of committed) {
        run.committed.push(shard);
        emit({type: 'committed', shard: shard.id, rows: shard.rows, total: committedRows(run)});
      }
      emit(
        progress(ready.files.length, {
          ok: run.appended,
          failed: run.failures.length,
          cacheHits: run.cacheHits,
        }),
      );
      emit(memoryEvent());
    }
  } finally {
    // The producers must not wait on a consumer that has gone.
    if (!channel.done) channel.cancel();
  }
  run.embedMs = start === undefined ? 0 : clock() - start;
  return run;
}

export function committedRows(run: Pick<StreamRun, 'committed'>): number {
  return run.committed.reduce((sum, shard) => sum + shard.rows, 0);
}

/** A channel is used as it is; any other source is pumped into one, so batches can form from what is queued. */
function asChannel<T>(source: AsyncIterable<T>, capacity: number): BoundedChannel<T> {
  return source instanceof BoundedChannel ? source : mergeSources([source], capacity);
}

/** A fixed list as a stream source (a shard job's files, a request's uploads). */
export async function* fromList<T>(items: readonly T[]): AsyncIterable<T> {
  yield* items;
}
