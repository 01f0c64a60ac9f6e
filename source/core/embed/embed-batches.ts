/**
 * The embedding loop of a sync: the planned files go through the batch schedule, each batch's rows are appended
 * to the collection writer as they come (a full shard commits by itself) and its fresh vectors stored in the cache.
 */

import type {PlannedFile} from '../collection/sync-plan.js';
import type {CollectionWriter} from '../collection/writer.js';
import {batchOutcomes} from './batch-outcomes.js';
import {inferBatchesInOrder} from './batch-schedule.js';
import type {EmbeddingCachePort} from './cache-port.js';
import {batchProgress, type EmbedEvent, memoryEvent} from './embed-events.js';
import type {Embedder} from './embedder.js';
import {batchPreparer} from './read-batch.js';

export interface BatchRun {
  appended: number;
  failures: {file: string; reason: string}[];
  cacheHits: number;
  preprocessMs: number;
  inferenceMs: number;
  /** Wall time of the loop (0 when there was nothing to embed). */
  embedMs: number;
  interrupted: boolean;
}

export async function embedPlannedFiles(options: {
  embedder: Embedder;
  files: PlannedFile[];
  /** Where each batch's rows go: the collection writer, or serve's sink for a folder of plain outputs. */
  writer: Pick<CollectionWriter, 'append'>;
  cache: EmbeddingCachePort | undefined;
  readAhead: boolean | undefined;
  clock: () => number;
  signal: AbortSignal | undefined;
  emit: (event: EmbedEvent) => void;
}): Promise<BatchRun> {
  const {embedder, files, writer, cache, clock, emit} = options;
  const run: BatchRun = {
    appended: 0,
    failures: [],
    cacheHits: 0,
    preprocessMs: 0,
    inferenceMs: 0,
    embedMs: 0,
    interrupted: false,
  };
  // Nothing to embed: nothing was left undone, so a stop now does not mark the outputs interrupted.
  if (files.length === 0) return run;
  const planned = new Map(files.map((file) => [file.relative, file]));
  const prepareBatch = await batchPreparer(embedder, cache, clock);
  const embedStart = clock();
  const progress = batchProgress(files.length, clock, embedStart);
  const batches = inferBatchesInOrder({
    files,
    batchSize: embedder.batchSize,
    sessions: embedder.sessions,
    prepare: prepareBatch,
    infer: embedder.infer,
    signal: options.signal,
    readAhead: options.readAhead,
    onInterrupt: () => {
      run.interrupted = true;
    },
  });
  for await (const {ready, inferred} of batches) {
    run.preprocessMs += ready.ms;
    run.inferenceMs += inferred.inferenceMs;
    const outcomes = batchOutcomes(ready, inferred.results);
    run.cacheHits += outcomes.cacheHits;
    for (const failure of outcomes.failures) {
      run.failures.push(failure);
      emit({type: 'failure', file: failure.file, reason: failure.reason});
    }
    await writer.append({
      rows: outcomes.rows,
      filenames: outcomes.filenames,
      images: outcomes.filenames.map((file, index) => {
        const {bytes, mtime_ms} = planned.get(file)!;
        return {sha256: outcomes.hashes[index]!, bytes, mtime_ms};
      }),
      failures: outcomes.failures,
      timings: {preprocess: ready.ms, inference: inferred.inferenceMs},
    });
    run.appended += outcomes.rows.length;
    if (cache && outcomes.fresh.length > 0) cache.putMany(outcomes.fresh);
    emit(
      progress(ready.files.length, {ok: run.appended, failed: run.failures.length, cacheHits: run.cacheHits}),
    );
    emit(memoryEvent());
  }
  run.embedMs = clock() - embedStart;
  return run;
}
