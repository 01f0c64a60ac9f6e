/**
 * metadata.json: what produced the embeddings and how the run went. snake_case, like the original Python tool.
 * Written last: it is the commit marker of an output set (see outputs.ts).
 */
import type {DecodeMode} from '../image/clip-preprocess.js';
import {sharpVersions} from '../image/sharp-image.js';
import {jpegDecoderStatus} from '../image/turbojpeg.js';
import {onnxRuntimeVersion} from '../runtime/onnx.js';
import {toolVersion} from '../tool-version.js';
import type {Embedder} from './embedder.js';
import type {SplitReport} from './split-controller.js';

export {toolVersion};

/** 2: the merged view of a collection (counts describe the view; `collection` says what it covers). */
export const METADATA_SCHEMA_VERSION = 2;

export interface EmbedMetadata {
  schema_version: number;
  tool: {name: string; version: string};
  model: {
    name: string;
    path: string;
    dtype: string;
    file: string;
    embedding_dim: number;
    preprocess_version: string;
    /** exact: the reference's pixels; fast: JPEGs decoded at a reduced DCT scale first (docs/fidelity.md). */
    decode: DecodeMode;
  };
  device: string;
  execution_provider: string;
  batch_size: number;
  /** Over all inference sessions; each session has its share (inference_sessions: each its own worker). */
  intra_op_threads: number;
  inference_sessions: number;
  input_dir: string;
  /**
   * inputs = image files found = ok + failed + not_reached; not_reached = files an interrupted run never tried
   * (0 when it finished); skipped = files not counted as inputs (plainly not images by extension).
   */
  counts: {
    inputs: number;
    ok: number;
    failed: number;
    cache_hits: number;
    skipped: number;
    not_reached: number;
  };
  failures: {file: string; reason: string}[];
  /**
   * load: model + sessions; preprocess: reading, hashing, decoding (summed per batch); inference: inside
   * session.run (summed over batches, so over sessions too); write: output files; total: wall clock.
   * Preprocessing of the next batch overlaps inference, and sessions overlap each other, so preprocess +
   * inference may exceed total, and inference alone may reach inference_sessions x total.
   */
  timings_seconds: {load: number; preprocess: number; inference: number; write: number; total: number};
  /** Images embedded (ok, cache hits included) per second of the embedding phase (after load, before write). */
  images_per_second: number;
  peak_rss_bytes: number;
  /** How the cores were split between preprocessing workers and inference during the run (split-controller.ts). */
  cpu_split: SplitReport;
  /** jpeg_decoder: the library that decoded JPEGs (libturbojpeg's file name), or 'sharp'. Same pixels either way. */
  versions: {node: string; onnxruntime: string; sharp: string; libvips: string; jpeg_decoder: string};
  /** Size and SHA-256 of the two .npy files this metadata commits to: a reader can tell a mixed set. */
  files: Record<string, {bytes: number; sha256: string}>;
  started_at: string;
  finished_at: string;
  interrupted: boolean;
  /** The shards this merged view covers and what the last run did (schema_version 2). */
  collection?: ViewCollectionBlock;
}

/** The `collection` block of the merged view's metadata.json: which shards it covers. */
export interface ViewCollectionBlock {
  format: number;
  shards: number;
  shard_ids: string[];
  /** Rows in the shards, tombstoned ones included. */
  rows: number;
  live_rows: number;
  tombstones: number;
  fingerprint: string;
  generation: string;
  /** What the last embed run did; null when no run is recorded (shards written by other means). */
  run: {inputs: number; ok: number; failed: number; cache_hits: number; kept: number; removed: number} | null;
}

export function runtimeVersions(): EmbedMetadata['versions'] {
  const {sharp, libvips} = sharpVersions();
  const jpeg = jpegDecoderStatus();
  return {
    node: process.versions.node,
    onnxruntime: onnxRuntimeVersion(),
    sharp,
    libvips,
    jpeg_decoder: 'library' in jpeg ? jpeg.library : 'sharp',
  };
}

/** The process's peak resident set (worker threads included: they share the process). */
export function peakRssBytes(): number {
  return Math.max(process.resourceUsage().maxRSS * 1024, process.memoryUsage().rss);
}

export function roundSeconds(ms: number): number {
  return Math.round(ms) / 1000;
}

export interface RunFacts {
  embedder: Embedder;
  imagesDir: string;
  /** inputs = every image file found; not_reached follows from it. */
  counts: Omit<EmbedMetadata['counts'], 'not_reached'>;
  failures: EmbedMetadata['failures'];
  /** Milliseconds: model load, preprocessing and inference (summed), and the embedding phase's wall time. */
  ms: {load: number; preprocess: number; inference: number; embed: number};
  startedAt: Date;
  interrupted: boolean;
}

/** Everything but the output fingerprints; write, total and finished_at are filled in when writing. */
export function describeRun(facts: RunFacts): Omit<EmbedMetadata, 'files'> {
  const {embedder, counts, ms} = facts;
  return {
    schema_version: METADATA_SCHEMA_VERSION,
    tool: {name: 'visual-cortex', version: toolVersion()},
    model: {
      name: embedder.modelName,
      path: embedder.modelDir,
      dtype: embedder.dtype,
      file: embedder.modelFile,
      embedding_dim: embedder.dims,
      preprocess_version: embedder.preprocessVersion,
      decode: embedder.decode,
    },
    device: embedder.device,
    // Each device maps to the onnxruntime execution provider of the same name.
    execution_provider: embedder.device,
    batch_size: embedder.batchSize,
    intra_op_threads: embedder.intraOpThreads,
    inference_sessions: embedder.sessions,
    cpu_split: embedder.split(),
    input_dir: facts.imagesDir,
    counts: {...counts, not_reached: counts.inputs - counts.ok - counts.failed},
    failures: facts.failures,
    timings_seconds: {
      load: roundSeconds(ms.load),
      preprocess: roundSeconds(ms.preprocess),
      inference: roundSeconds(ms.inference),
      write: 0,
      total: 0,
    },
    images_per_second: ms.embed > 0 ? Math.round((counts.ok * 100_000) / ms.embed) / 100 : 0,
    peak_rss_bytes: peakRssBytes(),
    versions: runtimeVersions(),
    started_at: facts.startedAt.toISOString(),
    finished_at: '',
    interrupted: facts.interrupted,
  };
}
