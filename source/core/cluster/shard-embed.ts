/**
 * The worker's one call into the embedding engine: a shard's files in, its rows out, in file order, through the
 * same streaming engine `embed` and `run` use (so the rows are the ones a single-process run makes).
 */
import type {ShardExtras, ShardRows} from '../collection/shard.js';
import type {ImageInfo} from '../collection/types.js';
import type {Embedder} from '../embed/embedder.js';
import type {FoundFile} from '../embed/file-walk.js';
import {embedStream, fromList} from '../pipeline/embed-stream.js';

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
  // The shard is committed whole by the processor, so this sink only collects; it commits nothing itself.
  const sink = {
    async append(batch: ShardRows & ShardExtras) {
      shard.rows.push(...batch.rows);
      shard.filenames.push(...batch.filenames);
      shard.images.push(...batch.images);
      shard.failures.push(...(batch.failures ?? []));
      options.onBatch(shard.rows.length + shard.failures.length, shard.failures.length);
      return [];
    },
  };
  const run = await embedStream({
    source: fromList(files),
    embedder,
    sink,
    signal: options.signal,
    expected: () => files.length,
  });
  shard.timings = {preprocess: run.preprocessMs, inference: run.inferenceMs};
  shard.interrupted = run.interrupted;
  return shard;
}
