/**
 * The embedding stage as the run pipeline and the dashboard see it: the embedder's own events, and a short
 * report (the full metadata is in metadata.json).
 */
import type {EmbedEvent} from '../embed/embed-events.js';

export type EmbedStageEvent = EmbedEvent;

export interface MemoryUsage {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

export interface EmbedStageReport {
  ok: number;
  failed: number;
  failures: {file: string; reason: string}[];
  interrupted: boolean;
  imagesPerSecond: number;
  /** Paths of the files written: embeddings, filenames, metadata. */
  outputFiles: string[];
}
