/**
 * The output folder as a store of kept images: an append-only index (JSON lines, fsynced) beside the files,
 * SHA-256 de-duplication, atomic writes, and recovery at open (stale temp files removed, a torn last index line
 * dropped, index lines whose file is gone dropped, images without an index line adopted).
 * Commits are grouped and run behind the workers: each image's bytes are fsynced before its rename, and the
 * images kept while one commit runs share the next directory fsync and index append + fsync (3 fsyncs per image
 * become ~1, and no worker waits on one). A crash before a commit leaves renamed, complete files without index
 * lines, which the next open adopts. close() waits for every commit and reports one that failed.
 * Reading the index back (and what a line must pass to be trusted) is in download-index.ts; adoption is in
 * unindexed-images.ts.
 */
import {type FileHandle, mkdir, open, readdir, rm} from 'node:fs/promises';
import {join} from 'node:path';
import {UserError} from '../errors.js';
import {syncDirectory, writeFileAtomic} from '../fs/atomic-write.js';
import {OUTPUT_FOLDER_HINT} from '../fs/output-folder.js';
import {DOWNLOAD_INDEX_FILE, type IndexEntry, indexLines, loadIndex} from './download-index.js';
import {adoptUnindexedImages} from './unindexed-images.js';

/** writeFileAtomic's temp files for our image names: left behind only by a crash. */
const STALE_TEMP = /^\.tmp-img_\d+\.[a-z]+-\d+-[0-9a-f]{8}$/;
const IMAGE_NAME = /^img_(\d+)\.[a-z]+$/;

export function imageFileName(number: number, extension: string): string {
  return `img_${String(number).padStart(6, '0')}.${extension}`;
}

export class ImageStore {
  private readonly byHash = new Map<string, string>();
  private readonly urls = new Set<string>();
  private nextNumber = 1;
  private commitChain: Promise<void> = Promise.resolve();
  /** Kept images waiting for the next group commit, and that commit (started once the chain is free). */
  private waiting: IndexEntry[] = [];
  private nextCommit: Promise<void> | undefined;
  private commitFailure: unknown;

  private constructor(
    readonly directory: string,
    private readonly handle: FileHandle,
    readonly entries: IndexEntry[],
    readonly cleanedTempFiles: number,
    readonly recoveredFiles: number,
  ) {
    for (const entry of entries) this.remember(entry);
  }

  static async open(directory: string, pixelLimit: number): Promise<ImageStore> {
    await mkdir(directory, {recursive: true}).catch((error: NodeJS.ErrnoException) => {
      throw new UserError(
        `cannot create the output folder ${directory} (${error.code ?? error.message})`,
        OUTPUT_FOLDER_HINT,
      );
    });
    const names = await readdir(directory);
    let cleaned = 0;
    for (const name of names) {
      if (STALE_TEMP.test(name)) {
        await rm(join(directory, name), {force: true});
        cleaned++;
      }
    }
    const entries = await loadIndex(directory);
    const adopted = await adoptUnindexedImages(directory, names, entries, pixelLimit);
    const handle = await open(join(directory, DOWNLOAD_INDEX_FILE), 'a');
    const store = new ImageStore(directory, handle, [...entries, ...adopted], cleaned, adopted.length);
    if (adopted.length > 0) await store.writeIndexLines(adopted);
    for (const name of names) {
      const number = IMAGE_NAME.exec(name)?.[1];
      if (number !== undefined) store.nextNumber = Math.max(store.nextNumber, Number(number) + 1);
    }
    return store;
  }

  get count(): number {
    return this.entries.length;
  }

  get knownUrls(): ReadonlySet<string> {
    return this.urls;
  }

  /** The kept file with these bytes, if any. */
  duplicateOf(sha256: string): string | undefined {
    return this.byHash.get(sha256);
  }

  /**
   * Saves the bytes under the next free name and records them. The hash is claimed before the first await, so
   * two workers that received the same image at once cannot both keep it.
   */
  async keep(
    bytes: Uint8Array,
    details: Omit<IndexEntry, 'name' | 'time' | 'bytes'> & {extension: string},
  ): Promise<IndexEntry> {
    if (this.commitFailure !== undefined) throw this.commitFailure;
    const {extension, ...rest} = details;
    const name = imageFileName(this.nextNumber++, extension);
    this.byHash.set(details.sha256, name);
    const entry: IndexEntry = {name, ...rest, bytes: bytes.length, time: new Date().toISOString()};
    try {
      await writeFileAtomic(join(this.directory, name), bytes, {
        syncDirectory: false,
        createDirectory: false,
      });
    } catch (error) {
      this.byHash.delete(details.sha256);
      throw error;
    }
    this.entries.push(entry);
    this.remember(entry);
    this.commit(entry).catch((error: unknown) => {
      this.commitFailure ??= error;
    });
    return entry;
  }

  /** Settles once the entry's file name and index line are on disk, together with whatever else is waiting. */
  private commit(entry: IndexEntry): Promise<void> {
    this.waiting.push(entry);
    if (!this.nextCommit) {
      const commit = this.commitChain.then(async () => {
        const group = this.waiting;
        this.waiting = [];
        this.nextCommit = undefined;
        await syncDirectory(this.directory);
        await this.writeIndexLines(group);
      });
      this.nextCommit = commit;
      this.commitChain = commit.catch(() => undefined);
    }
    return this.nextCommit;
  }

  async close(): Promise<void> {
    await this.commitChain.catch(() => undefined);
    await this.handle.close();
    if (this.commitFailure !== undefined) throw this.commitFailure;
  }

  private remember(entry: IndexEntry): void {
    this.byHash.set(entry.sha256, entry.name);
    if (entry.url !== null) this.urls.add(entry.url);
  }

  /** Callers keep these one at a time (at open, then on the commit chain), so lines never interleave. */
  private async writeIndexLines(entries: IndexEntry[]): Promise<void> {
    await this.handle.appendFile(indexLines(entries));
    await this.handle.sync();
  }
}
