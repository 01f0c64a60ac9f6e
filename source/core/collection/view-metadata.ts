/**
 * metadata.json of the merged view: every field the seed wrote, now describing the view (counts.ok is its row
 * count; failures are the files that failed in the latest run) and the last embed run (timings, throughput,
 * versions), plus a `collection` block naming the shards it covers. Without a recorded run (shards written by
 * other means) the run fields are neutral: zero timings, nothing embedded.
 */
import {type EmbedMetadata, METADATA_SCHEMA_VERSION} from '../embed/metadata.js';
import {toolVersion} from '../tool-version.js';
import {COLLECTION_FORMAT, type Manifest, type RunRecord} from './types.js';

export interface ViewFacts {
  manifest: Manifest;
  shardIds: readonly string[];
  liveRows: number;
  totalRows: number;
  fingerprint: string;
  generation: string;
}

function neutralRun(now: Date): RunRecord {
  const at = now.toISOString();
  return {
    tool: {name: 'visual-cortex', version: toolVersion()},
    device: 'cpu',
    execution_provider: 'cpu',
    batch_size: 1,
    intra_op_threads: 1,
    inference_sessions: 1,
    timings_seconds: {load: 0, preprocess: 0, inference: 0, write: 0, total: 0},
    images_per_second: 0,
    peak_rss_bytes: Math.max(process.resourceUsage().maxRSS * 1024, process.memoryUsage().rss),
    versions: {
      node: process.versions.node,
      onnxruntime: 'unknown',
      sharp: 'unknown',
      libvips: 'unknown',
      jpeg_decoder: 'unknown',
    },
    started_at: at,
    finished_at: at,
    interrupted: false,
    cpu_split: {
      adaptive: false,
      cores: 0,
      workers_initial: 0,
      workers_final: 0,
      workers_most: 0,
      changes: [],
      cpu_seconds: 0,
    },
    counts: {inputs: 0, ok: 0, failed: 0, cache_hits: 0, skipped: 0, kept: 0, removed: 0},
  };
}

export function viewMetadata(facts: ViewFacts, now: Date = new Date()): Omit<EmbedMetadata, 'files'> {
  const {manifest} = facts;
  const {header} = manifest;
  const run = manifest.last_run ?? neutralRun(now);
  const {counts: runCounts, ...runFields} = run;
  const failures = manifest.failures;
  // Files an interrupted last run never tried; a finished run reached them all.
  const notReached = run.interrupted ? Math.max(0, runCounts.inputs - runCounts.ok - runCounts.failed) : 0;
  return {
    schema_version: METADATA_SCHEMA_VERSION,
    ...runFields,
    model: {...header.model, decode: header.model.decode ?? 'exact', embedding_dim: header.embedding_dim},
    input_dir: header.images_dir,
    counts: {
      inputs: facts.liveRows + failures.length + notReached,
      ok: facts.liveRows,
      failed: failures.length,
      not_reached: notReached,
      cache_hits: Math.min(runCounts.cache_hits, facts.liveRows),
      skipped: runCounts.skipped,
    },
    failures,
    collection: {
      format: COLLECTION_FORMAT,
      shards: facts.shardIds.length,
      shard_ids: [...facts.shardIds],
      rows: facts.totalRows,
      live_rows: facts.liveRows,
      tombstones: manifest.tombstones.length,
      fingerprint: facts.fingerprint,
      generation: facts.generation,
      run: manifest.last_run
        ? {
            inputs: runCounts.inputs,
            ok: runCounts.ok,
            failed: runCounts.failed,
            cache_hits: runCounts.cache_hits,
            kept: runCounts.kept,
            removed: runCounts.removed,
          }
        : null,
    },
  };
}
