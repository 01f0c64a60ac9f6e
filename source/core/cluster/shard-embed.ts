/**
 * The worker's one call into the embedding engine: a shard's files in, its rows out, in file order, with the
 * batch schedule `embed` uses (so the rows are the ones a single-process run makes). Kept to this one function so
 * the streaming pipeline (core/pipeline) can replace it without touching the processor.
 */
import {stat} from 'node:fs/promises';
import type {ImageInfo} from '../collection/types.js';
import {batchOutcomes} from '../embed/batch-outcomes.js';
import {inferBatchesInOrder} from '../embed/batch-schedule.js';
import type {Embedder} from '../embed/embedder.js';
import type {FoundFile} from '../embed/file-walk.js';
import {batchPreparer} from '../embed/read-batch.js';

export interface EmbeddedShard {
  rows: Float32Array[];
  filenames: string[];
  images: ImageInfo[];
  failures: {file: string; reason: string}[];
  timings: {preprocess: number; inference: number};
  interrupted: boolean;
}

export async function embedShardFiles(
  embedder: Embedder,
  files: FoundFile[],
  options: {signal: AbortSignal; onBatch: (done: number, failed: number) => void},
): Promise<EmbeddedShard> {
  const shard: EmbeddedShard = {
    rows: [],
    filenames: [],
    images: [],
    failures: [],
    timings: {preprocess: 0, inference: 0},
    interrupted: false,
  };
  const prepare = await batchPreparer(embedder, undefined, () => performance.now());
  const batches = inferBatchesInOrder({
    files,
    batchSize: embedder.batchSize,
    sessions: embedder.sessions,
    prepare,
    infer: embedder.infer,
    signal: options.signal,
    onInterrupt: () => {
      shard.interrupted = true;
    },
  });
  const absolute = new Map(files.map((file) => [file.relative, file.absolute]));
  let done = 0;
  for await (const {ready, inferred} of batches) {
    const outcomes = batchOutcomes(ready, inferred.results);
    shard.timings.preprocess += ready.ms;
    shard.timings.inference += inferred.inferenceMs;
    shard.failures.push(...outcomes.failures);
    for (const [index, file] of outcomes.filenames.entries()) {
      const info = await stat(absolute.get(file) ?? file);
      shard.rows.push(outcomes.rows[index]!);
      shard.filenames.push(file);
      shard.images.push({
        sha256: outcomes.hashes[index]!,
        bytes: info.size,
        mtime_ms: Math.floor(info.mtimeMs),
      });
    }
    done += ready.files.length;
    options.onBatch(done, shard.failures.length);
  }
  return shard;
}
