/** Options with defaults filled in and checked; every bad value is a UserError naming the flag. */
import {UserError} from '../errors.js';
import {DEFAULT_PIXEL_LIMIT} from '../image/sharp-image.js';
import {DEFAULT_PICSUM_URL, DEFAULT_UNSPLASH_API_URL, type ProviderSettings} from './providers.js';
import {DEFAULT_RETRY_POLICY} from './retry-policy.js';
import type {DownloadClock, DownloadOptions, DownloadTimeouts, RetryPolicy} from './types.js';

export const DEFAULT_TIMEOUTS: DownloadTimeouts = {
  connectMs: 10_000,
  headersMs: 30_000,
  bodyIdleMs: 30_000,
  attemptMs: 120_000,
};

export const DOWNLOAD_DEFAULTS = {
  width: 1024,
  height: 768,
  workers: 8,
  minBytes: 1024,
  maxBytes: 50 * 1024 * 1024,
  maxRedirects: 5,
  progressIntervalMs: 100,
} as const;

export interface DownloadSettings {
  provider: ProviderSettings;
  count: number;
  workers: number;
  maxAttempts: number | null;
  maxSeconds: number | null;
  sleepOkMs: number;
  sleepFailMs: number;
  minBytes: number;
  maxBytes: number;
  pixelLimit: number;
  maxRedirects: number;
  timeouts: DownloadTimeouts;
  retry: RetryPolicy;
  clock: DownloadClock;
  progressIntervalMs: number;
}

export const realClock: DownloadClock = {
  now: () => performance.now(),
  random: () => Math.random(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (ms <= 0 || signal?.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, {once: true});
    }),
};

function whole(name: string, value: number | undefined, fallback: number, min: number): number {
  const chosen = value ?? fallback;
  if (!Number.isInteger(chosen) || chosen < min) {
    throw new UserError(
      `${name} must be a whole number of at least ${min} (got ${String(value)})`,
      `pass ${name} ${min} or more`,
    );
  }
  return chosen;
}

function seconds(name: string, value: number | undefined): number | null {
  if (value === undefined) return null;
  if (!Number.isFinite(value) || value < 0) {
    throw new UserError(
      `${name} must be a number of seconds, 0 or more (got ${String(value)})`,
      `pass e.g. ${name} 1.5`,
    );
  }
  return value;
}

export function resolveSettings(options: DownloadOptions): DownloadSettings {
  const clock = {...realClock, ...options.clock};
  const minBytes = whole('--min-bytes', options.minBytes, DOWNLOAD_DEFAULTS.minBytes, 0);
  const maxBytes = whole('--max-bytes', options.maxBytes, DOWNLOAD_DEFAULTS.maxBytes, 1);
  if (minBytes > maxBytes)
    throw new UserError(`--min-bytes ${minBytes} is over --max-bytes ${maxBytes}`, 'lower --min-bytes');
  for (const id of options.picsumIds ?? []) whole('--ids', id, 0, 0);
  const maxSeconds = seconds('--max-seconds', options.maxSeconds);
  return {
    provider: {
      provider: options.provider,
      width: whole('--width', options.width, DOWNLOAD_DEFAULTS.width, 1),
      height: whole('--height', options.height, DOWNLOAD_DEFAULTS.height, 1),
      urlTemplate: options.urlTemplate,
      urlsFile: options.urlsFile,
      sourceDir: options.sourceDir,
      imagesDir: options.imagesDir,
      picsumIds: options.picsumIds,
      seed: options.seed ?? '',
      runSeed: Math.floor(clock.random() * 2 ** 32).toString(36),
      picsumBaseUrl: options.picsumBaseUrl ?? DEFAULT_PICSUM_URL,
      unsplashApiUrl: options.unsplashApiUrl ?? DEFAULT_UNSPLASH_API_URL,
      unsplashAccessKey: options.unsplashAccessKey,
    },
    count: whole('--count', options.count, 0, 0),
    workers: whole('--workers', options.workers, DOWNLOAD_DEFAULTS.workers, 1),
    maxAttempts:
      options.maxAttempts === undefined ? null : whole('--max-attempts', options.maxAttempts, 0, 1),
    maxSeconds: maxSeconds === 0 ? null : maxSeconds,
    sleepOkMs: (seconds('--sleep-ok', options.sleepOkSeconds) ?? 0) * 1000,
    sleepFailMs: (seconds('--sleep-fail', options.sleepFailSeconds) ?? 0) * 1000,
    minBytes,
    maxBytes,
    pixelLimit: whole('pixel limit', options.pixelLimit, DEFAULT_PIXEL_LIMIT, 1),
    maxRedirects: whole('max redirects', options.maxRedirects, DOWNLOAD_DEFAULTS.maxRedirects, 0),
    timeouts: {...DEFAULT_TIMEOUTS, ...options.timeouts},
    retry: {...DEFAULT_RETRY_POLICY, ...options.retry},
    clock,
    progressIntervalMs: options.progressIntervalMs ?? DOWNLOAD_DEFAULTS.progressIntervalMs,
  };
}

/** Endpoints and key from the environment, for commands that call downloadImages. */
export function downloadEnvironment(
  env: NodeJS.ProcessEnv,
): Pick<DownloadOptions, 'picsumBaseUrl' | 'unsplashApiUrl' | 'unsplashAccessKey'> {
  return {
    picsumBaseUrl: env.VISUAL_CORTEX_PICSUM_URL || undefined,
    unsplashApiUrl: env.VISUAL_CORTEX_UNSPLASH_API_URL || undefined,
    unsplashAccessKey: env.UNSPLASH_ACCESS_KEY || undefined,
  };
}
