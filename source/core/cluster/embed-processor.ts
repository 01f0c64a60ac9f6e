/**
 * The worker's ShardProcessor: skip a shard already committed by this submission, download its inputs
 * (download-processor.ts), embed them (shard-embed.ts) and commit them into the collection under the job's id
 * (collection/shared-commit.ts, idempotent by content). One embedder per worker process, loaded with the first
 * shard and used by one shard at a time, so `--concurrency` overlaps downloads, not models.
 */
import {join} from 'node:path';
import {commitSharedShard, committedShard, type SharedCommitHeader} from '../collection/shared-commit.js';
import type {Embedder} from '../embed/embedder.js';
import {modelFactsOf} from '../embed/model-facts.js';
import {createPipelineEmbedder} from '../embed/pipeline-embedder.js';
import {UserError} from '../errors.js';
import type {Dtype} from '../model/model-folder.js';
import type {Device} from '../runtime/onnx.js';
import {checkCollectionModel} from './collection-check.js';
import {createDownloadProcessor} from './download-processor.js';
import {embedShardFiles} from './shard-embed.js';
import type {ClusterRecord, ShardProcessor, ShardResult, ShardSpec} from './types.js';

export interface EmbedProcessorSettings {
  modelsDir: string;
  device: Device;
  threads?: number;
}

export type ClosableProcessor = ShardProcessor & {close(): Promise<void>};

/** What a shard's shard.json says about who made it: the submission's fingerprint and the job id. */
export function shardSourceTag(record: ClusterRecord, id: string): string {
  return `cluster:${record.fingerprint.slice(0, 16)}:${id}`;
}

export function createEmbedProcessor(settings: EmbedProcessorSettings): ClosableProcessor {
  const download = createDownloadProcessor();
  let embedder: Promise<Embedder> | undefined;
  // One shard in the model at a time: the embedder's sessions and tensor slots are sized for one pipeline.
  let turn: Promise<unknown> = Promise.resolve();

  const openEmbedder = (record: ClusterRecord) => {
    embedder ??= createPipelineEmbedder({
      model: record.model,
      modelsDir: settings.modelsDir,
      dtype: record.dtype as Dtype,
      device: settings.device,
      threads: settings.threads,
    });
    embedder.catch(() => {
      embedder = undefined;
    });
    return embedder;
  };

  const processor = async (spec: ShardSpec, context: Parameters<ShardProcessor>[1]) => {
    const started = Date.now();
    const {record, signal, onProgress} = context;
    const done = await alreadyCommitted(record, spec);
    if (done) return {...done, seconds: (Date.now() - started) / 1000};
    await checkCollectionModel(record.embeddingsDir, record);
    const downloaded = await download(spec, context);
    signal.throwIfAborted();
    const model = await openEmbedder(record);
    const header = headerFor(record, model);
    const mine = turn.then(async () => {
      signal.throwIfAborted();
      const files = (downloaded.files ?? []).map((relative) => ({
        relative,
        absolute: join(record.imagesDir, relative),
      }));
      const total = spec.count;
      const already = downloaded.failed;
      onProgress({stage: 'embed', done: already, total, failed: already});
      const shard = await embedShardFiles(model, files, {
        signal,
        onBatch: (count, failed) =>
          onProgress({stage: 'embed', done: already + count, total, failed: already + failed}),
      });
      if (shard.interrupted) signal.throwIfAborted();
      return shard;
    });
    turn = mine.catch(() => undefined);
    const shard = await mine;
    onProgress({stage: 'commit', done: spec.count, total: spec.count, failed: downloaded.failed});
    const failures = [
      ...downloaded.failures.map((failure) => ({file: failure.item, reason: failure.reason})),
      ...shard.failures,
    ];
    // `existed`: another worker committed the same rows first (a lost lock); the shard is the same either way.
    const {info} = await commitSharedShard(record.embeddingsDir, header, {
      id: spec.id,
      rows: shard.rows,
      filenames: shard.filenames,
      images: shard.images,
      failures,
      timings: shard.timings,
      source: shardSourceTag(record, spec.id),
    });
    const result: ShardResult = {
      rows: info.rows,
      failed: failures.length,
      failures: failures.map((failure) => ({item: failure.file, reason: failure.reason})),
      files: shard.filenames,
      sha256: info.files['embeddings.npy'].sha256,
      committed: true,
      seconds: (Date.now() - started) / 1000,
    };
    return result;
  };

  return Object.assign(processor, {
    async close() {
      const open = embedder;
      embedder = undefined;
      await (await open?.catch(() => undefined))?.close();
    },
  });
}

function headerFor(record: ClusterRecord, embedder: Embedder): SharedCommitHeader {
  return {
    model: modelFactsOf(embedder),
    embedding_dim: embedder.dims,
    images_dir: record.imagesDir,
    shard_size: record.shardSize,
  };
}

/** A shard this submission committed before (a retry after a crash, a resubmit): its result, from shard.json. */
async function alreadyCommitted(record: ClusterRecord, spec: ShardSpec): Promise<ShardResult | null> {
  const info = await committedShard(record.embeddingsDir, spec.id);
  if (!info) return null;
  if (info.source !== shardSourceTag(record, spec.id))
    throw new UserError(
      `shard ${spec.id} of ${record.embeddingsDir} was made by ${info.source ?? 'a local embed'}, not by this submission`,
      'submit into an empty collection, or let submit number the shards after the ones already there',
    );
  return {
    rows: info.rows,
    failed: info.failures.length,
    failures: info.failures.map((failure) => ({item: failure.file, reason: failure.reason})),
    sha256: info.files['embeddings.npy'].sha256,
    committed: true,
    seconds: 0,
    skipped: true,
  };
}
