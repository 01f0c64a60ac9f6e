/**
 * One shard: a folder holding embeddings.npy, filenames.npy and shard.json. It is built under a temp name inside
 * shards/ (rows streamed to disk as they come, so memory holds one shard's names at most), every file fsynced,
 * shard.json last, then renamed whole to shards/<id>: a reader never sees half a shard.
 */
import {createHash} from 'node:crypto';
import {mkdir, open, readFile, rename, rm} from 'node:fs/promises';
import {hostname} from 'node:os';
import {join} from 'node:path';
import {syncDirectory} from '../fs/atomic-write.js';
import {trackTempFile, untrackTempFile} from '../fs/temp-files.js';
import {encodeUnicodeArray} from '../npy.js';
import {type FileFingerprint, Float32NpyStream} from '../npy-stream.js';
import {SHARD_FILES, SHARDS_DIR, shardDir, tempName} from './layout.js';
import {COLLECTION_FORMAT, type Failure, type ImageInfo, type ModelFacts, type ShardInfo} from './types.js';

export interface ShardRows {
  rows: readonly Float32Array[];
  filenames: readonly string[];
  images: readonly ImageInfo[];
}

export interface ShardExtras {
  failures?: readonly Failure[];
  timings?: {preprocess: number; inference: number};
  source?: string | null;
}

export function sha256Of(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Writes a new file and fsyncs it; returns its size and SHA-256. */
export async function writeSynced(path: string, data: Uint8Array | string): Promise<FileFingerprint> {
  const handle = await open(path, 'wx');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  return {bytes: bytes.byteLength, sha256: sha256Of(bytes)};
}

/** A shard being filled: rows go to disk at once; names and image facts wait in memory for the commit. */
export class ShardBuilder {
  private readonly filenames: string[] = [];
  private readonly images: ImageInfo[] = [];
  private readonly failures: Failure[] = [];
  private readonly timings = {preprocess: 0, inference: 0};

  private constructor(
    private readonly embeddingsDir: string,
    private readonly tempDir: string,
    private readonly stream: Float32NpyStream,
    readonly capacity: number,
    private readonly model: Omit<ModelFacts, 'path'>,
  ) {}

  static async start(
    embeddingsDir: string,
    options: {dims: number; capacity: number; model: Omit<ModelFacts, 'path'>},
  ): Promise<ShardBuilder> {
    const tempDir = join(embeddingsDir, SHARDS_DIR, tempName('shard'));
    await mkdir(tempDir, {recursive: true});
    trackTempFile(tempDir);
    const stream = await Float32NpyStream.create(
      join(tempDir, SHARD_FILES.embeddings),
      options.dims,
      options.capacity,
    );
    return new ShardBuilder(embeddingsDir, tempDir, stream, options.capacity, options.model);
  }

  get rows(): number {
    return this.stream.rows;
  }

  get room(): number {
    return this.capacity - this.stream.rows;
  }

  /** Appends rows (at most `room`); await one call before the next. */
  async append(batch: ShardRows): Promise<void> {
    if (batch.rows.length !== batch.filenames.length || batch.rows.length !== batch.images.length)
      throw new Error('rows, filenames and images are not aligned');
    await this.stream.append(batch.rows);
    this.filenames.push(...batch.filenames);
    this.images.push(...batch.images);
  }

  note(extras: ShardExtras): void {
    if (extras.failures) this.failures.push(...extras.failures);
    if (extras.timings) {
      this.timings.preprocess += extras.timings.preprocess;
      this.timings.inference += extras.timings.inference;
    }
  }

  /**
   * Writes the other files and renames the folder to shards/<id>. When that folder exists already (a commit
   * repeated by a cluster job), the one there is kept if its files are the same and an error names both if not.
   */
  async commit(id: string, extras: ShardExtras = {}): Promise<{info: ShardInfo; existed: boolean}> {
    this.note(extras);
    const embeddings = await this.stream.commit(join(this.tempDir, SHARD_FILES.embeddings));
    const filenames = await writeSynced(
      join(this.tempDir, SHARD_FILES.filenames),
      encodeUnicodeArray(this.filenames),
    );
    const info: ShardInfo = {
      format: COLLECTION_FORMAT,
      id,
      rows: this.filenames.length,
      dims: this.stream.columns,
      model: this.model,
      files: {[SHARD_FILES.embeddings]: embeddings, [SHARD_FILES.filenames]: filenames},
      images: {
        sha256: this.images.map((image) => image.sha256),
        bytes: this.images.map((image) => image.bytes),
        mtime_ms: this.images.map((image) => image.mtime_ms),
        phash: this.images.map((image) => image.phash ?? null),
      },
      failures: this.failures,
      timings_seconds: {
        preprocess: Math.round(this.timings.preprocess) / 1000,
        inference: Math.round(this.timings.inference) / 1000,
      },
      source: extras.source ?? null,
      created_at: new Date().toISOString(),
      host: hostname(),
      pid: process.pid,
    };
    await writeSynced(join(this.tempDir, SHARD_FILES.info), `${JSON.stringify(info)}\n`);
    await syncDirectory(this.tempDir);
    const target = shardDir(this.embeddingsDir, id);
    try {
      await rename(this.tempDir, target);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
      const existing = await readShardInfo(this.embeddingsDir, id);
      await this.discard();
      if (sameFiles(existing, info)) return {info: existing, existed: true};
      throw new Error(
        `shard ${id} was committed before with other rows (${existing.rows} rows, embeddings sha256 ${existing.files['embeddings.npy'].sha256.slice(0, 12)}…; this commit: ${info.rows} rows, ${info.files['embeddings.npy'].sha256.slice(0, 12)}…)`,
      );
    }
    untrackTempFile(this.tempDir);
    await syncDirectory(join(this.embeddingsDir, SHARDS_DIR));
    return {info, existed: false};
  }

  /** Removes the temp folder (a failed run, or rows not to be kept). */
  async discard(): Promise<void> {
    await this.stream.discard().catch(() => undefined);
    await rm(this.tempDir, {recursive: true, force: true});
    untrackTempFile(this.tempDir);
  }
}

function sameFiles(a: ShardInfo, b: ShardInfo): boolean {
  return (
    a.rows === b.rows &&
    a.files['embeddings.npy'].sha256 === b.files['embeddings.npy'].sha256 &&
    a.files['filenames.npy'].sha256 === b.files['filenames.npy'].sha256
  );
}

export async function readShardInfo(embeddingsDir: string, id: string): Promise<ShardInfo> {
  const path = join(shardDir(embeddingsDir, id), SHARD_FILES.info);
  const info = JSON.parse(await readFile(path, 'utf8')) as ShardInfo;
  if (info.id !== id || !Number.isInteger(info.rows) || typeof info.files !== 'object')
    throw new Error(`${path} does not describe shard ${id}`);
  return info;
}
