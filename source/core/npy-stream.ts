/**
 * A float32 N x columns .npy written as its rows arrive, so an embed run holds no rows in memory (10,000 rows of
 * 512 were 20 MB; a million, 2 GB). Rows go to a temp file beside the target, after room for the header of the
 * most rows the run may produce; commit() writes the real header over that room (numpy accepts the extra
 * padding), fsyncs, and renames the file into place, so readers only ever see a complete file.
 */
import {createHash} from 'node:crypto';
import {createReadStream} from 'node:fs';
import {type FileHandle, mkdir, open, rename, rm} from 'node:fs/promises';
import {dirname} from 'node:path';
import {syncDirectory} from './fs/atomic-write.js';
import {removeStaleTempFiles, tempPathFor, trackTempFile, untrackTempFile} from './fs/temp-files.js';
import {float32MatrixHeader} from './npy.js';

export interface FileFingerprint {
  bytes: number;
  sha256: string;
}

export class Float32NpyStream {
  private rowCount = 0;
  private offset: number;

  private constructor(
    private readonly handle: FileHandle,
    private readonly tempPath: string,
    private readonly headerBytes: number,
    readonly columns: number,
    private readonly maxRows: number,
  ) {
    this.offset = headerBytes;
  }

  /** Starts the temp file for `path`; removes every temp file of earlier runs whose process is gone. */
  static async create(path: string, columns: number, maxRows: number): Promise<Float32NpyStream> {
    const directory = dirname(path);
    await mkdir(directory, {recursive: true});
    await removeStaleTempFiles(directory);
    const tempPath = tempPathFor(path);
    const handle = await open(tempPath, 'wx');
    trackTempFile(tempPath);
    const headerBytes = float32MatrixHeader(maxRows, columns).byteLength;
    return new Float32NpyStream(handle, tempPath, headerBytes, columns, maxRows);
  }

  get rows(): number {
    return this.rowCount;
  }

  /** Appends rows in order; each must hold `columns` values. Await one call before the next. */
  async append(rows: readonly Float32Array[]): Promise<void> {
    if (rows.length === 0) return;
    if (this.rowCount + rows.length > this.maxRows)
      throw new Error(`more than the ${this.maxRows} rows reserved`);
    const parts = rows.map((row, index) => {
      if (row.length !== this.columns)
        throw new Error(`row ${this.rowCount + index} has ${row.length} values, expected ${this.columns}`);
      return new Uint8Array(row.buffer, row.byteOffset, row.byteLength);
    });
    // writev takes at most IOV_MAX (1024) buffers per call on Linux.
    for (let start = 0; start < parts.length; start += 1024) {
      const chunk = parts.slice(start, start + 1024);
      const expected = chunk.reduce((sum, part) => sum + part.byteLength, 0);
      const {bytesWritten} = await this.handle.writev(chunk, this.offset);
      if (bytesWritten !== expected) throw new Error(`short write: ${bytesWritten} of ${expected} bytes`);
      this.offset += expected;
    }
    this.rowCount += rows.length;
  }

  /** Writes the header, makes the file durable and renames it to `path`; returns what metadata records of it. */
  async commit(path: string): Promise<FileFingerprint> {
    try {
      await this.handle.write(
        float32MatrixHeader(this.rowCount, this.columns, this.headerBytes),
        0,
        undefined,
        0,
      );
      await this.handle.sync();
    } finally {
      await this.handle.close();
    }
    const fingerprint = await fingerprintFile(this.tempPath);
    await rename(this.tempPath, path);
    untrackTempFile(this.tempPath);
    await syncDirectory(dirname(path));
    return fingerprint;
  }

  /** Drops the temp file (a failed or empty run). */
  async discard(): Promise<void> {
    await this.handle.close().catch(() => undefined);
    await rm(this.tempPath, {force: true});
    untrackTempFile(this.tempPath);
  }
}

async function fingerprintFile(path: string): Promise<FileFingerprint> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path, {highWaterMark: 1 << 20}) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.byteLength;
  }
  return {bytes, sha256: hash.digest('hex')};
}
