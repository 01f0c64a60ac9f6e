/**
 * The cluster's public shapes: what a shard job carries (a spec, never pixels or vectors), what a worker reports
 * through the job while it runs, what the queue records about its collection, and the status a reader sees.
 * Kept apart from queue.ts so commands, UIs and processors depend on them without bullmq or ioredis.
 */

/** Where a shard's images come from. Every kind lists or computes its URLs/paths in a stable order. */
export type ShardSource =
  /** URL-list lines (or explicit picsum ids), inline: `lines` is the 1-based [first, last] of the list file. */
  | {kind: 'urls'; urls: string[]; lines?: [number, number]}
  /** --url TEMPLATE for indices [from, to): {seed} is seedFor(seed, index), as the downloader fills it. */
  | {
      kind: 'template';
      template: string;
      width: number;
      height: number;
      seed: string;
      from: number;
      to: number;
    }
  /** Seeded picsum images [from, to): `${base}/seed/${seed}-${index}/${width}/${height}`. */
  | {kind: 'picsum'; base: string; seed: string; width: number; height: number; from: number; to: number}
  /** Files of a folder every worker can read: names relative to root, in the folder's sorted order. */
  | {kind: 'files'; root: string; names: string[]};

export interface ShardSpec {
  /** 8-digit decimal: the job id and the collection's shard folder name. */
  id: string;
  /** Position of the shard's first image in the whole source. */
  first: number;
  /** Images in the shard. */
  count: number;
  source: ShardSource;
}

/** What the queue records about the collection its jobs fill; written once by the first submit. */
export interface ClusterRecord {
  format: 1;
  queue: string;
  /** Absolute paths as the submitter saw them; a worker that mounts them elsewhere overrides them. */
  embeddingsDir: string;
  imagesDir: string;
  model: string;
  dtype: string;
  shardSize: number;
  /** Download concurrency inside one shard. */
  downloadWorkers: number;
  /** A human description of the source, e.g. "urls list.txt (12,000 lines)". */
  source: string;
  /** sha256 over the specs: the same source cut the same way has the same fingerprint. */
  fingerprint: string;
  shards: number;
  images: number;
  /** Id of the first shard (shards already in the collection come before it). */
  firstShard: string;
  createdAt: string;
  submittedBy: string;
}

export type ShardStage = 'starting' | 'download' | 'embed' | 'commit';

/** What a processor says while it works. */
export interface ShardProgress {
  stage: ShardStage;
  /** Images finished (kept, failed or skipped) out of total. */
  done: number;
  total: number;
  failed: number;
}

/** What a worker writes into the job's progress (a bounded number of times per second). */
export interface ShardJobProgress extends ShardProgress {
  shard: string;
  worker: string;
  host: string;
  pid: number;
  imagesPerSecond: number;
  rssBytes: number;
  peakRssBytes: number;
  startedAt: number;
  updatedAt: number;
}

export interface ShardFailure {
  item: string;
  reason: string;
}

/** A processor's result, stored as the completed job's return value (small: no file lists at scale). */
export interface ShardResult {
  /** Rows the shard holds once committed. */
  rows: number;
  failed: number;
  failures: ShardFailure[];
  /** Files relative to the images folder, in row order; left out of the job's stored result. */
  files?: string[];
  /** Checksum of the committed shard; null until the collection writer is wired in. */
  sha256: string | null;
  committed: boolean;
  /** The shard was committed already (an earlier attempt or submission): nothing was embedded again. */
  skipped?: boolean;
  seconds: number;
}

export interface ShardContext {
  signal: AbortSignal;
  onProgress: (progress: ShardProgress) => void;
  record: ClusterRecord;
  /** Attempt number of this job, 1 for the first. */
  attempt: number;
}

/**
 * Turns one shard spec into a committed shard. Must be idempotent: a shard may be processed again after a crash,
 * and committing the same rows twice is the same shard. Aborting the signal asks it to stop soon; it then throws.
 */
export type ShardProcessor = (spec: ShardSpec, context: ShardContext) => Promise<ShardResult>;

export type RedisEvent =
  | {type: 'redis-retrying'; address: string; attempt: number; delayMs: number; waitedMs: number}
  | {type: 'redis-back'; address: string}
  | {type: 'redis-gone'; address: string; waitedMs: number};
