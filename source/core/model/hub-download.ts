/**
 * Downloads one Hub file into a `.part` file that survives interruptions: a later attempt (after a reset, or
 * in a later run) asks for the rest with `Range`, and the whole file is hashed and checked against the Hub's
 * checksum before anyone may rename it into place. A sidecar `<part>.json` ties the part to its URL and
 * checksum, so bytes of another file version are never glued together.
 */
import {rm} from 'node:fs/promises';
import {setTimeout as sleepFor} from 'node:timers/promises';
import {type HttpClient, HttpError, type HttpRedirect, type HttpResponse} from '../net/http.js';
import {type HubChecksum, type HubFileInfo, hubFileInfo} from './hub.js';
import {digestFile, type FileDigest, matchesChecksum} from './manifest.js';
import {appendBody, type FileProgress, readTag, removePart, resumableOffset, writeTag} from './part-file.js';

export interface PullRetryPolicy {
  /** Requests per file, the first included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_PULL_RETRY: PullRetryPolicy = {attempts: 6, baseDelayMs: 500, maxDelayMs: 8000};

export interface HubDownloadOptions {
  client: HttpClient;
  url: string;
  hubOrigin: string;
  headers: Record<string, string>;
  partPath: string;
  retry: PullRetryPolicy;
  signal?: AbortSignal;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  onStart?: (start: {resumeFrom: number; totalBytes: number | null}) => void;
  onProgress?: (progress: FileProgress) => void;
  onRetry?: (retry: {attempt: number; delayMs: number; reason: string}) => void;
}

export type HubDownloadResult =
  | {status: 'complete'; info: HubFileInfo; digest: FileDigest; resumed: boolean}
  | {status: 'refused'; httpStatus: number; headers: Record<string, string>; url: string}
  | {status: 'checksum-mismatch'; expected: HubChecksum; digest: FileDigest};

export async function downloadHubFile(options: HubDownloadOptions): Promise<HubDownloadResult> {
  const {client, url, partPath, retry, signal} = options;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number, s?: AbortSignal) => sleepFor(ms, undefined, {signal: s}));
  const tagPath = `${partPath}.json`;
  let resumed = false;
  let freshAfterMismatch = false;
  let lastFailure = 'no attempt made';
  let connectFailures = 0;

  let attemptsMade = 0;
  for (let attempt = 1; attempt <= retry.attempts; attempt++) {
    attemptsMade++;
    if (attempt > 1) {
      const delayMs = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 2));
      options.onRetry?.({attempt, delayMs, reason: lastFailure});
      await sleep(delayMs, signal);
    }
    signal?.throwIfAborted();
    const offset = await resumableOffset(partPath, tagPath, url);
    if (offset > 0) resumed = true;
    const hops: HttpRedirect[] = [];
    let response: HttpResponse;
    try {
      response = await client.request(url, {
        headers: offset > 0 ? {...options.headers, range: `bytes=${offset}-`} : options.headers,
        signal,
        onRedirect: (hop) => hops.push(hop),
      });
    } catch (error) {
      if (!isTransient(error)) throw error;
      lastFailure = (error as Error).message;
      if ((error as HttpError).kind === 'connect' && ++connectFailures >= MAX_CONNECT_FAILURES) break;
      continue;
    }
    const info = hubFileInfo(options.hubOrigin, hops, response);
    const status = response.status;
    if (status === 408 || status === 429 || status >= 500) {
      await response.discard();
      lastFailure = `${response.url} answered ${status}`;
      continue;
    }
    if (status === 416) {
      // The part is not a prefix of what the server has: start over.
      await response.discard();
      await removePart(partPath, tagPath);
      lastFailure = `${response.url} refused the range (416)`;
      continue;
    }
    if (status !== 200 && status !== 206) {
      await response.discard();
      return {status: 'refused', httpStatus: status, headers: response.headers, url: response.url};
    }
    const tag = await readTag(tagPath);
    const stale = offset > 0 && tag?.checksum && info.checksum && tag.checksum !== info.checksum.value;
    const rangeStart = status === 206 ? contentRangeStart(response.headers['content-range']) : 0;
    if (stale || rangeStart !== (status === 206 ? offset : 0)) {
      await response.discard();
      await removePart(partPath, tagPath);
      // Not the network's fault when a part was on disk: retry at once from the start.
      if (offset > 0) attempt--;
      else lastFailure = `${response.url} answered with an unexpected Content-Range`;
      continue;
    }
    const startAt = status === 206 ? offset : 0;
    const totalBytes = totalFromHeaders(response.headers, status) ?? info.size ?? null;
    await writeTag(tagPath, {url, checksum: info.checksum?.value ?? null});
    options.onStart?.({resumeFrom: startAt, totalBytes});
    try {
      await appendBody(response, partPath, startAt, totalBytes, now, options.onProgress);
    } catch (error) {
      if (!isTransient(error)) throw error;
      lastFailure = (error as Error).message;
      continue;
    }
    const digest = await digestFile(partPath, signal);
    if (totalBytes !== null && digest.size !== totalBytes) {
      if (digest.size > totalBytes) await removePart(partPath, tagPath);
      lastFailure = `got ${digest.size} of ${totalBytes} bytes`;
      continue;
    }
    if (info.checksum && !matchesChecksum(digest, info.checksum)) {
      await removePart(partPath, tagPath);
      // A resumed part may hold bytes of an older version: one fresh download settles it.
      if (resumed && !freshAfterMismatch) {
        freshAfterMismatch = true;
        resumed = false;
        attempt--;
        continue;
      }
      return {status: 'checksum-mismatch', expected: info.checksum, digest};
    }
    await rm(tagPath, {force: true});
    return {status: 'complete', info, digest, resumed};
  }
  throw new HttpError(`${lastFailure} (gave up after ${attemptsMade} attempts)`, 'other');
}

/** Worth another try: the network hiccuped. Bad URLs, redirect loops and aborts are not. */
function isTransient(error: unknown): boolean {
  return (
    error instanceof HttpError &&
    (error.kind === 'reset' || error.kind === 'timeout' || error.kind === 'connect')
  );
}

/** A host that refuses or does not resolve rarely recovers within seconds: give up sooner than on resets. */
const MAX_CONNECT_FAILURES = 3;

function contentRangeStart(value: string | undefined): number {
  const match = /^bytes (\d+)-\d+\/(?:\d+|\*)$/.exec(value?.trim() ?? '');
  return match ? Number(match[1]) : -1;
}

function totalFromHeaders(headers: Record<string, string>, status: number): number | null {
  if (status === 206) {
    const match = /\/(\d+)$/.exec(headers['content-range'] ?? '');
    return match ? Number(match[1]) : null;
  }
  const length = Number(headers['content-length']);
  return headers['content-length'] !== undefined && Number.isSafeInteger(length) ? length : null;
}
