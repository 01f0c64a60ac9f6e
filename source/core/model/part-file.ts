/**
 * The on-disk side of a resumable Hub download: the `.part` file, the bytes appended to it, and its sidecar
 * `<part>.json` tag. They have their own module because they are what outlasts an interrupted run, kept apart from
 * hub-download.ts's requests and retries; the tag names the URL and checksum the bytes belong to, so a resume never
 * glues bytes of another file version onto the part.
 */
import {open, readFile, rm, stat} from 'node:fs/promises';
import {writeFileAtomic} from '../fs/atomic-write.js';
import type {HttpResponse} from '../net/http.js';

export interface PartTag {
  url: string;
  checksum: string | null;
}

export interface FileProgress {
  bytes: number;
  totalBytes: number | null;
  /** Bytes per second over this run's transfer of the file (bytes resumed from disk do not count). */
  bytesPerSecond: number;
  etaSeconds: number | null;
}

const PROGRESS_INTERVAL_MS = 100;

export async function resumableOffset(partPath: string, tagPath: string, url: string): Promise<number> {
  const size = await stat(partPath).then(
    (stats) => stats.size,
    () => 0,
  );
  if (size === 0) return 0;
  const tag = await readTag(tagPath);
  if (tag?.url === url) return size;
  await removePart(partPath, tagPath);
  return 0;
}

export async function readTag(tagPath: string): Promise<PartTag | null> {
  try {
    return JSON.parse(await readFile(tagPath, 'utf8')) as PartTag;
  } catch {
    return null;
  }
}

export async function writeTag(tagPath: string, tag: PartTag): Promise<void> {
  await writeFileAtomic(tagPath, JSON.stringify(tag));
}

export async function removePart(partPath: string, tagPath = `${partPath}.json`): Promise<void> {
  await rm(partPath, {force: true});
  await rm(tagPath, {force: true});
}

export async function appendBody(
  response: HttpResponse,
  partPath: string,
  startAt: number,
  totalBytes: number | null,
  now: () => number,
  onProgress: ((progress: FileProgress) => void) | undefined,
): Promise<void> {
  const handle = await open(partPath, startAt > 0 ? 'a' : 'w');
  const startedAt = now();
  let bytes = startAt;
  let lastReport = Number.NEGATIVE_INFINITY;
  const report = () => {
    const seconds = Math.max((now() - startedAt) / 1000, 1e-3);
    const bytesPerSecond = (bytes - startAt) / seconds;
    const etaSeconds =
      totalBytes !== null && bytesPerSecond > 0 ? Math.max(0, totalBytes - bytes) / bytesPerSecond : null;
    onProgress?.({bytes, totalBytes, bytesPerSecond, etaSeconds});
  };
  try {
    for await (const chunk of response.body) {
      await handle.write(chunk);
      bytes += chunk.length;
      if (now() - lastReport >= PROGRESS_INTERVAL_MS) {
        lastReport = now();
        report();
      }
    }
    report();
    await handle.sync();
  } finally {
    await handle.close();
  }
}
