/**
 * The downloader's public shapes: what a caller asks for, the events a UI renders while it runs, and the report
 * it ends with. Kept in one file so the dashboard and the commands can depend on them without the engine.
 */

import type {Provider} from '../enums.js';

export type ProviderName = Provider;

export interface DownloadTimeouts {
  /** TCP (and TLS) connect. */
  connectMs: number;
  /** From sending the request to the complete response headers. */
  headersMs: number;
  /** Longest silence between two body chunks. */
  bodyIdleMs: number;
  /** Whole attempt, headers and body together. */
  attemptMs: number;
}

export interface RetryPolicy {
  /** Retries of one item after its first attempt (so at most retries + 1 attempts per URL). */
  retries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A server's Retry-After is honoured up to this long; longer waits are cut to it. */
  retryAfterCapMs: number;
}

/** Time and randomness, injected so tests run fast and deterministically. */
export interface DownloadClock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** A number in [0, 1), like Math.random. */
  random(): number;
}

export interface DownloadOptions {
  provider: ProviderName;
  /** Total valid images wanted in imagesDir, counting those already there. */
  count: number;
  imagesDir: string;
  width?: number;
  height?: number;
  workers?: number;
  /** custom: URL template with {width}, {height}, {index}, {seed}. */
  urlTemplate?: string;
  /** urls: a text file, one URL a line; blank lines and # comments skipped. */
  urlsFile?: string;
  /** local: the folder whose images are copied into imagesDir. */
  sourceDir?: string;
  /** picsum: deterministic image ids (/id/{id}/{w}/{h}) instead of random images. */
  picsumIds?: number[];
  /** Makes picsum (/seed/...) and the {seed} placeholder deterministic. */
  seed?: string;
  /** Unsplash API access key (UNSPLASH_ACCESS_KEY). */
  unsplashAccessKey?: string;
  /** Base URLs, overridable for tests and mirrors. */
  picsumBaseUrl?: string;
  unsplashApiUrl?: string;
  /** HTTP attempts allowed in this run, retries included. Default max(10, 4 × images to download). */
  maxAttempts?: number;
  /** Wall-clock budget for the run in seconds; in-flight requests are aborted when it ends. */
  maxSeconds?: number;
  /** Politeness delays per worker after a kept image and after a failed item. */
  sleepOkSeconds?: number;
  sleepFailSeconds?: number;
  minBytes?: number;
  maxBytes?: number;
  pixelLimit?: number;
  maxRedirects?: number;
  timeouts?: Partial<DownloadTimeouts>;
  retry?: Partial<RetryPolicy>;
  clock?: Partial<DownloadClock>;
  /** Shortest interval between two byte-progress events of one worker. */
  progressIntervalMs?: number;
  /**
   * Called with each image once it is saved; the worker that kept it waits for the returned promise before it
   * keeps another image, so a consumer that is behind (the streaming run's full queue) holds the download back.
   */
  onKept?: (image: SavedImage) => Promise<unknown> | undefined;
}

/** An image as saved in the output folder: its file name there, its absolute path and the SHA-256 of its bytes. */
export interface SavedImage {
  file: string;
  path: string;
  sha256: string;
}

/** Why an item (or one attempt of it) failed. Stable strings: UIs and reports key on them. */
export type FailureReason =
  | 'not-found' // 404, 410
  | 'forbidden' // 401, 403
  | 'http-client-error' // other 4xx
  | 'http-server-error' // 5xx
  | 'rate-limited' // 429
  | 'timeout'
  | 'reset'
  | 'connect'
  | 'truncated' // body shorter than Content-Length, or an image missing its end marker
  | 'redirect' // too many redirects, or a redirect to a scheme other than http(s)
  | 'too-large'
  | 'too-small'
  | 'html-page' // an HTML (error) page, whatever the status and Content-Type said
  | 'not-an-image' // bytes with no decodable image magic number
  | 'undecodable' // right magic number, header does not decode
  | 'too-many-pixels'
  | 'read-error' // local provider: the file could not be read
  | 'bad-url' // not an http(s) URL (a line of a URL list, say)
  | 'network'; // any other transport error

export type WorkerState = 'idle' | 'connecting' | 'receiving' | 'retrying' | 'waiting' | 'done';

export interface WorkerStatus {
  worker: number;
  state: WorkerState;
  url: string | null;
  bytesReceived: number;
  /** From Content-Length; null when the server did not say. */
  bytesTotal: number | null;
  /** Bytes per second of the current attempt's body. */
  speed: number;
  /** 1 for the first try of the current URL, 2 for its first retry, … */
  attempt: number;
  /** In 'retrying' and 'waiting': how long the worker sleeps before going on. */
  waitMs: number;
}

export interface DownloadTotals {
  requested: number;
  alreadyPresent: number;
  /** Images to fetch in this run (requested − alreadyPresent, at least 0). */
  toDownload: number;
  kept: number;
  failed: number;
  failedByReason: Partial<Record<FailureReason, number>>;
  retriesByReason: Partial<Record<FailureReason, number>>;
  duplicates: number;
  attempts: number;
  /** Bytes of the images kept (saved) in this run. */
  bytes: number;
  /** Bytes that came over the network, failed and duplicate bodies included. */
  bytesReceived: number;
  elapsedSeconds: number;
  imagesPerSecond: number;
  bytesPerSecond: number;
}

export interface KeptImage {
  file: string;
  sha256: string;
  url: string;
  width: number;
  height: number;
  format: string;
  bytes: number;
}

export type StopReason =
  | 'complete'
  | 'attempt-budget'
  | 'time-budget'
  | 'exhausted'
  | 'aborted'
  /** Its first attempts all failed to connect to the same host the same way, before any image was kept. */
  | 'unreachable';

export type DownloadEvent =
  | {
      type: 'start';
      provider: ProviderName;
      imagesDir: string;
      requested: number;
      alreadyPresent: number;
      toDownload: number;
      workers: number;
    }
  | ({type: 'worker'} & WorkerStatus)
  | ({type: 'kept'; worker: number; attempt: number} & KeptImage)
  | {type: 'duplicate'; worker: number; url: string; sha256: string; existing: string}
  | {
      type: 'retry';
      worker: number;
      url: string;
      reason: FailureReason;
      message: string;
      attempt: number;
      delayMs: number;
    }
  | {type: 'failed'; worker: number; url: string; reason: FailureReason; message: string; attempts: number}
  | {type: 'totals'; totals: DownloadTotals}
  | {type: 'done'; report: DownloadReport};

export interface DownloadReport {
  provider: ProviderName;
  imagesDir: string;
  requested: number;
  alreadyPresent: number;
  kept: number;
  /** alreadyPresent + kept: the valid images now in imagesDir. */
  total: number;
  failed: number;
  failedByReason: Partial<Record<FailureReason, number>>;
  retries: number;
  retriesByReason: Partial<Record<FailureReason, number>>;
  duplicates: number;
  attempts: number;
  bytes: number;
  bytesReceived: number;
  seconds: number;
  interrupted: boolean;
  stopReason: StopReason;
  /** Why the source of URLs ended early (an API that kept failing), or why the provider is unreachable, or null. */
  sourceError: string | null;
  /** Stale temp files removed and unindexed images adopted at start. */
  cleanedTempFiles: number;
  recoveredFiles: number;
  /** Files kept in this run, in the order they were saved. */
  files: string[];
}
