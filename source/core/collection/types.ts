/**
 * The collection's on-disk records (docs/collection.md): manifest.json, each shard's shard.json, and the
 * `collection` block of the merged view's metadata.json. Field names are snake_case, like metadata.json.
 */
import type {EmbedMetadata, ViewCollectionBlock} from '../embed/metadata.js';
import type {DecodeMode} from '../image/clip-preprocess.js';

export type {ViewCollectionBlock};

export const COLLECTION_FORMAT = 1;

/** What fixes a collection's model: rows of another model, dtype or preprocessing do not mix. */
export interface ModelFacts {
  name: string;
  /** Where the model was when the collection began (informative; a moved models folder does not matter). */
  path: string;
  file: string;
  dtype: string;
  preprocess_version: string;
  /** exact (absent in older manifests) or fast; fast has its own preprocess_version too. */
  decode?: DecodeMode;
}

export interface CollectionHeader {
  model: ModelFacts;
  embedding_dim: number;
  /** Absolute; the filenames are relative to it. */
  images_dir: string;
  shard_size: number;
  created_at: string;
}

export interface FileSum {
  bytes: number;
  sha256: string;
}

export interface ShardFiles {
  'embeddings.npy': FileSum;
  'filenames.npy': FileSum;
}

export interface ShardEntry {
  id: string;
  rows: number;
  files: ShardFiles;
}

/** A row left out of every read: its image was deleted or changed (then appended again in a later shard). */
export interface Tombstone {
  shard: string;
  row: number;
  file: string;
  reason: string;
  at: string;
}

export interface Failure {
  file: string;
  reason: string;
}

/** What one embed run did, kept in the manifest so `merge` can describe the run in the merged view. */
export interface RunCounts {
  /** Files tried this run (ok + failed). */
  inputs: number;
  /** Rows this run appended (embedded or from the cache). */
  ok: number;
  failed: number;
  cache_hits: number;
  skipped: number;
  /** Live rows whose file was unchanged, kept without embedding. */
  kept: number;
  /** Rows tombstoned because their file was deleted or changed. */
  removed: number;
}

export type RunRecord = Omit<
  EmbedMetadata,
  'schema_version' | 'model' | 'input_dir' | 'counts' | 'failures' | 'files' | 'collection'
> & {counts: RunCounts};

export interface Manifest {
  format: number;
  header: CollectionHeader;
  shards: ShardEntry[];
  tombstones: Tombstone[];
  /** Files of the images folder that failed in the latest run (they are tried again by the next one). */
  failures: Failure[];
  last_run: RunRecord | null;
  updated_at: string;
}

/** Per row of a shard, aligned with its rows: what the sync compares a file against without reading it. */
export interface ImageColumns {
  sha256: string[];
  bytes: number[];
  mtime_ms: number[];
  /**
   * Perceptual hashes (16 hex digits, image/phash.ts), null where none was made (a cache hit, an upload); absent
   * in shards written before hashes were kept.
   */
  phash?: (string | null)[];
}

export interface ImageInfo {
  sha256: string;
  bytes: number;
  mtime_ms: number;
  phash?: string | null;
}

export interface ShardInfo {
  format: number;
  id: string;
  rows: number;
  dims: number;
  model: Omit<ModelFacts, 'path'>;
  files: ShardFiles;
  images: ImageColumns;
  failures: Failure[];
  timings_seconds: {preprocess: number; inference: number};
  /** Who made it when not a local writer (a cluster job id); null for local shards. */
  source: string | null;
  created_at: string;
  host: string;
  pid: number;
}
