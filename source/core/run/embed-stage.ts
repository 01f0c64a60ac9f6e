/**
 * The embedding side of a run as the pipeline and the dashboard see it: the embedder's own events, and a short
 * report (the full metadata is in metadata.json, the collection's state in `collection`).
 */
import type {EmbedEvent, SyncSummary} from '../embed/embed-events.js';

export type EmbedStageEvent = EmbedEvent;

export interface MemoryUsage {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

export interface EmbedStageReport {
  /** Rows this run added to the collection (embedded, or from the cache). */
  ok: number;
  failed: number;
  failures: {file: string; reason: string}[];
  /** Rows whose vector came from the embedding cache. */
  cacheHits: number;
  interrupted: boolean;
  imagesPerSecond: number;
  /** Paths of the merged view's files: embeddings, filenames, metadata (none when nothing was written). */
  outputFiles: string[];
  /** The collection after the run; null when nothing was written (nothing to embed, or stopped first). */
  collection: SyncSummary | null;
}
