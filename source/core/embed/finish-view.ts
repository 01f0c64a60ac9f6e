/**
 * The end of an embed run: what the run did is recorded in the manifest, then the merged view is rebuilt unless
 * it already covers exactly these rows (a run that changed nothing rewrites nothing) or the caller skips it.
 */

import {viewPaths} from '../collection/layout.js';
import {readViewMetadata} from '../collection/merged-view.js';
import {collectionFingerprint} from '../collection/reader.js';
import {liveRowCount} from '../collection/state.js';
import type {SyncPlan} from '../collection/sync-plan.js';
import type {RunRecord} from '../collection/types.js';
import {viewMetadata} from '../collection/view-metadata.js';
import type {CollectionWriter} from '../collection/writer.js';
import type {StreamRun} from '../pipeline/embed-stream.js';
import type {EmbedEvent, EmbedReport} from './embed-events.js';
import type {Embedder} from './embedder.js';
import type {WalkResult} from './file-walk.js';
import {describeRun, type EmbedMetadata, peakRssBytes, roundSeconds} from './metadata.js';

export interface FinishInput {
  writer: CollectionWriter;
  embedder: Embedder;
  run: StreamRun;
  plan: SyncPlan;
  walk: WalkResult;
  imagesDir: string;
  /** load: the model load's milliseconds; t0: the clock at the run's start. */
  ms: {load: number; t0: number};
  startedAt: Date;
  clock: () => number;
  now: () => Date;
  mergedView: boolean;
  emit: (event: EmbedEvent) => void;
}

export async function finishView(input: FinishInput): Promise<EmbedReport> {
  const {writer, run, plan, clock} = input;
  const base = describeRun({
    embedder: input.embedder,
    imagesDir: input.imagesDir,
    counts: {
      // The files this run set out to embed: those an interrupted run never tried are the rest.
      // (a streaming run's downloads add files the plan did not know of: never fewer than were tried).
      inputs: Math.max(run.interrupted ? input.plan.toEmbed.length : 0, run.appended + run.failures.length),
      ok: run.appended,
      failed: run.failures.length,
      cache_hits: run.cacheHits,
      skipped: input.walk.skipped.length,
    },
    failures: run.failures,
    ms: {load: input.ms.load, preprocess: run.preprocessMs, inference: run.inferenceMs, embed: run.embedMs},
    startedAt: input.startedAt,
    interrupted: run.interrupted,
  });
  const {schema_version: _v, model: _m, input_dir: _i, counts, failures: _f, ...fields} = base;
  const record = (writeMs: number): RunRecord => ({
    ...fields,
    timings_seconds: {
      ...fields.timings_seconds,
      write: roundSeconds(writeMs),
      total: roundSeconds(clock() - input.ms.t0),
    },
    peak_rss_bytes: peakRssBytes(),
    finished_at: input.now().toISOString(),
    counts: {
      inputs: counts.inputs,
      ok: counts.ok,
      failed: counts.failed,
      cache_hits: counts.cache_hits,
      skipped: counts.skipped ?? 0,
      kept: plan.kept,
      removed: plan.tombstones.length,
    },
  });
  input.emit({type: 'writing'});
  const writeStart = clock();
  const state = writer.state!;
  const fingerprint = collectionFingerprint(state.shards, state.manifest);
  const existing = await readViewMetadata(writer.dir);
  // A run that changed nothing leaves the manifest and the view as they were: the view still tells the truth.
  const current =
    existing?.collection?.fingerprint === fingerprint &&
    existing.interrupted === run.interrupted &&
    JSON.stringify(existing.failures) === JSON.stringify(run.failures);
  if (!current) await writer.recordRun(record(0), run.failures);
  let metadata: EmbedMetadata | undefined;
  if (input.mergedView && !current) {
    const view = await writer.writeMergedView({finishRun: () => record(clock() - writeStart)});
    metadata = view?.metadata;
  }
  const viewWritten = metadata !== undefined;
  if (!metadata && current && existing) metadata = existing;
  const liveRows = liveRowCount(state);
  metadata ??= {
    ...viewMetadata({
      manifest: state.manifest,
      shardIds: state.shards.map((shard) => shard.id),
      liveRows,
      totalRows: state.shards.reduce((sum, shard) => sum + shard.rows, 0),
      fingerprint,
      generation: '',
    }),
    files: {},
  };
  return {
    interrupted: metadata.interrupted,
    embeddingsDir: writer.dir,
    paths: viewPaths(writer.dir),
    metadata,
    sync: {
      shards: state.shards.length,
      liveRows,
      appended: run.appended,
      kept: plan.kept,
      removed: plan.tombstones.length,
      adopted: [...writer.adopted],
      viewWritten,
    },
  };
}
