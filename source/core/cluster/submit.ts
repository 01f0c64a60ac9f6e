/**
 * `cluster submit`: cuts a source into shard jobs and enqueues the ones the queue does not hold yet. The queue's
 * record ties it to one collection and one source, so a second submit of the same source adds nothing, and a
 * different source or collection on the same queue is refused with the fix instead of mixing shards.
 */
import {readdir, readFile} from 'node:fs/promises';
import {hostname} from 'node:os';
import {join, resolve} from 'node:path';
import {nextLocalShardId} from '../collection/layout.js';
import {readCollectionState} from '../collection/state.js';
import {checkProviderSettings, DEFAULT_PICSUM_URL} from '../download/providers.js';
import {UserError} from '../errors.js';
import {writeFileAtomic} from '../fs/atomic-write.js';
import {checkCollectionModel} from './collection-check.js';
import {ClusterQueue} from './queue.js';
import type {RedisAddress} from './redis-url.js';
import {assignShardIds, type ClusterSourceOptions, cutSource} from './shard-specs.js';
import type {ClusterRecord, RedisEvent} from './types.js';

export interface SubmitOptions {
  address: RedisAddress;
  queue: string;
  embeddingsDir: string;
  /** Where downloads go; a folder source's images folder is that folder. */
  imagesDir: string;
  model: string;
  dtype: string;
  downloadWorkers: number;
  shardSize: number;
  source: ClusterSourceOptions;
  /** Tries of a shard whose processor fails (default DEFAULT_SHARD_RETRY). */
  retry?: {attempts: number; backoffMs: number};
  onEvent?: (event: RedisEvent) => void;
}

export interface SubmitReport {
  queue: string;
  address: string;
  record: ClusterRecord;
  /** Jobs enqueued now, and those the queue held already (any state). */
  added: number;
  existing: number;
}

export async function submitShards(options: SubmitOptions): Promise<SubmitReport> {
  const {source} = options;
  if (source.provider === 'custom' || source.provider === 'picsum') {
    await checkProviderSettings({
      provider: source.provider,
      width: source.width,
      height: source.height,
      urlTemplate: source.url,
      imagesDir: options.imagesDir,
      seed: source.seed ?? '',
      runSeed: '',
      picsumBaseUrl: source.picsumBaseUrl ?? DEFAULT_PICSUM_URL,
      unsplashApiUrl: '',
    });
  }
  const queue = await ClusterQueue.open({
    address: options.address,
    queue: options.queue,
    onEvent: options.onEvent,
  });
  try {
    const embeddingsDir = resolve(options.embeddingsDir);
    await checkCollectionModel(embeddingsDir, {model: options.model, dtype: options.dtype});
    const cut = await cutSource(source, options.shardSize);
    const imagesDir =
      source.provider === 'local' ? resolve(source.sourceDir ?? '') : resolve(options.imagesDir);
    const existing = (await queue.readRecord()) ?? (await readSubmission(embeddingsDir, cut.fingerprint));
    const firstShard = existing ? Number(existing.firstShard) : await nextShardNumber(embeddingsDir);
    const wanted: ClusterRecord = {
      format: 1,
      queue: queue.name,
      embeddingsDir,
      imagesDir,
      model: options.model,
      dtype: options.dtype,
      shardSize: options.shardSize,
      downloadWorkers: options.downloadWorkers,
      source: cut.description,
      fingerprint: cut.fingerprint,
      shards: cut.pieces.length,
      images: cut.images,
      firstShard: String(firstShard).padStart(8, '0'),
      createdAt: new Date().toISOString(),
      submittedBy: `${hostname()}:${process.pid}`,
    };
    const {record} = await queue.claimRecord(wanted);
    checkSameSubmission(record, wanted);
    await writeSubmission(embeddingsDir, record);
    const specs = assignShardIds(cut, Number(record.firstShard));
    const added = await queue.addShards(specs, options.retry);
    return {
      queue: queue.name,
      address: options.address.display,
      record,
      added,
      existing: specs.length - added,
    };
  } finally {
    await queue.close();
  }
}

function checkSameSubmission(held: ClusterRecord, wanted: ClusterRecord): void {
  const fix = `submit it to another queue (--queue NAME, and the same --queue for its workers), or empty this one first`;
  if (held.embeddingsDir !== wanted.embeddingsDir || held.imagesDir !== wanted.imagesDir) {
    throw new UserError(
      `queue ${held.queue} already fills ${held.embeddingsDir} (images ${held.imagesDir}), not ${wanted.embeddingsDir}`,
      fix,
    );
  }
  if (held.model !== wanted.model || held.dtype !== wanted.dtype) {
    throw new UserError(
      `queue ${held.queue} embeds with ${held.model} ${held.dtype}, not ${wanted.model} ${wanted.dtype}: one collection has one model`,
      `submit with --model ${held.model} --dtype ${held.dtype}, or ${fix}`,
    );
  }
  if (held.fingerprint !== wanted.fingerprint || held.shardSize !== wanted.shardSize) {
    throw new UserError(
      `queue ${held.queue} holds another source or shard size (${held.source}, ${held.shardSize} a shard); this one is ${wanted.source}, ${wanted.shardSize} a shard`,
      `a source is cut into shards once: ${fix}`,
    );
  }
}

/**
 * The record also lives in the collection, under its source's fingerprint: if Redis loses the queue, the same
 * source submitted again gets the same shard ids, so shards already committed are recognised, not duplicated.
 */
function submissionPath(embeddingsDir: string, fingerprint: string): string {
  return join(embeddingsDir, 'cluster', `submission-${fingerprint.slice(0, 16)}.json`);
}

async function readSubmission(embeddingsDir: string, fingerprint: string): Promise<ClusterRecord | null> {
  const text = await readFile(submissionPath(embeddingsDir, fingerprint), 'utf8').catch(() => null);
  const record = text === null ? null : (JSON.parse(text) as ClusterRecord);
  return record?.fingerprint === fingerprint ? record : null;
}

async function writeSubmission(embeddingsDir: string, record: ClusterRecord): Promise<void> {
  const path = submissionPath(embeddingsDir, record.fingerprint);
  if ((await readSubmission(embeddingsDir, record.fingerprint)) !== null) return;
  await writeFileAtomic(path, `${JSON.stringify(record, null, 2)}\n`).catch(
    (error: NodeJS.ErrnoException) => {
      throw new UserError(
        `cannot write to the collection ${embeddingsDir} (${error.code ?? error.message})`,
        'the submitter and every worker need to write there: check the path and its permissions',
      );
    },
  );
}

/**
 * The first shard number after the shards already in the collection (listed or not), so cluster shards never take
 * an id a local writer used.
 */
async function nextShardNumber(embeddingsDir: string): Promise<number> {
  const state = await readCollectionState(embeddingsDir);
  const listed = state ? [...state.shards.map((shard) => shard.id), ...state.strays] : [];
  const names = await readdir(join(embeddingsDir, 'shards')).catch(() => [] as string[]);
  return Number(nextLocalShardId([...listed, ...names]));
}
