/**
 * What the embed pipeline tells its caller while it runs, and what it hands back at the end. The CLI's progress
 * lines, the dashboard's run stage and the bench all read these events, so their shape lives apart from the
 * pipeline that emits them; the progress figures in them are worked out here too.
 */
import type {Dtype} from '../model/model-folder.js';
import type {Device} from '../runtime/onnx.js';
import type {SkippedFile} from './file-walk.js';
import type {EmbedMetadata} from './metadata.js';
import type {OutputPaths} from './outputs.js';

/** What a run did to the collection in the embeddings folder. */
export interface SyncSummary {
  shards: number;
  /** Rows a search sees (tombstoned ones left out). */
  liveRows: number;
  appended: number;
  kept: number;
  /** Rows tombstoned: their file was deleted or changed. */
  removed: number;
  /** Committed shards the manifest had missed (an earlier run killed), now part of it. */
  adopted: string[];
  /** Whether the merged view was (re)written; false when it was current, or skipped. */
  viewWritten: boolean;
}

export interface EmbedReport {
  /** Stopped by the signal: the rows embedded so far are committed and the outputs consistent. */
  interrupted: boolean;
  embeddingsDir: string;
  paths: OutputPaths;
  metadata: EmbedMetadata;
  sync: SyncSummary;
}

export type EmbedEvent =
  | {type: 'scanned'; total: number; skipped: SkippedFile[]}
  | {type: 'synced'; kept: number; toEmbed: number; removed: number; adopted: number}
  | {type: 'model-loading'; model: string; dtype: Dtype; device: Device}
  | {
      type: 'model-loaded';
      model: string;
      dtype: Dtype;
      device: Device;
      dims: number;
      file: string;
      loadMs: number;
    }
  | {
      type: 'batch';
      done: number;
      total: number;
      ok: number;
      failed: number;
      cacheHits: number;
      batchSize: number;
      batchMs: number;
      imagesPerSecond: number;
      averageImagesPerSecond: number;
    }
  | {type: 'failure'; file: string; reason: string}
  /** A shard of the collection was committed: `rows` in it, `total` committed by this run so far. */
  | {type: 'committed'; shard: string; rows: number; total: number}
  | {type: 'memory'; rss: number; heapUsed: number; external: number; arrayBuffers: number}
  | {type: 'writing'}
  | {type: 'done'; report: EmbedReport};

/**
 * The 'batch' events of a run whose embedding started at `embedStart`, of `total()` files as known when each batch
 * ends (a stream's total grows): each call reads the clock once, as a batch ends. A batch's time runs from the end
 * of the one before it.
 */
export function batchProgress(
  total: () => number,
  clock: () => number,
  embedStart: number,
): (
  batchSize: number,
  counts: {ok: number; failed: number; cacheHits: number},
) => Extract<EmbedEvent, {type: 'batch'}> {
  let lastBatchEnd = embedStart;
  let done = 0;
  return (batchSize, counts) => {
    done += batchSize;
    const batchEnd = clock();
    const batchMs = batchEnd - lastBatchEnd;
    lastBatchEnd = batchEnd;
    const elapsed = batchEnd - embedStart;
    return {
      type: 'batch',
      done,
      total: Math.max(done, total()),
      ok: counts.ok,
      failed: counts.failed,
      cacheHits: counts.cacheHits,
      batchSize,
      batchMs,
      imagesPerSecond: batchMs > 0 ? (batchSize * 1000) / batchMs : 0,
      averageImagesPerSecond: elapsed > 0 ? (done * 1000) / elapsed : 0,
    };
  };
}

export function memoryEvent(): Extract<EmbedEvent, {type: 'memory'}> {
  const memory = process.memoryUsage();
  return {
    type: 'memory',
    rss: memory.rss,
    heapUsed: memory.heapUsed,
    external: memory.external,
    arrayBuffers: memory.arrayBuffers,
  };
}
