/**
 * Which failures are worth another try, and how long to wait first. Transient trouble (5xx, 408, 429, resets,
 * timeouts, cut bodies) is retried with exponential backoff and jitter; answers that will not change (404, 403,
 * not an image) are not.
 */
import type {FailureReason, RetryPolicy} from './types.js';

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  retries: 3,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  retryAfterCapMs: 60_000,
};

const RETRYABLE: ReadonlySet<FailureReason> = new Set<FailureReason>([
  'http-server-error',
  'rate-limited',
  'timeout',
  'reset',
  'connect',
  'truncated',
  'network',
]);

export function isRetryable(reason: FailureReason, status?: number): boolean {
  if (status === 408) return true;
  return RETRYABLE.has(reason);
}

export function reasonForStatus(status: number): FailureReason {
  if (status === 404 || status === 410) return 'not-found';
  if (status === 401 || status === 403) return 'forbidden';
  if (status === 429) return 'rate-limited';
  if (status >= 500) return 'http-server-error';
  return 'http-client-error';
}

/**
 * The wait before retry number `retry` (1 for the first retry): base × 2^(retry−1), capped, with "equal jitter"
 * (half fixed, half random) so that workers failing together do not retry together.
 */
export function backoffDelayMs(retry: number, policy: RetryPolicy, random: () => number): number {
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.round(exponential / 2 + random() * (exponential / 2));
}

/** An HTTP-date in any of its three forms (IMF-fixdate, RFC 850, asctime): a month name and an hh:mm:ss time. */
const HTTP_DATE =
  /^[A-Za-z]{3,9},? .*\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b.*\b\d{2}:\d{2}:\d{2}\b/;

/**
 * Retry-After as milliseconds from now: delta-seconds or an HTTP-date; null when absent or not one of those, so
 * that a negative or malformed value falls back to backoff (Date.parse alone reads '-5' or '1' as dates in 2001,
 * long past, which would mean retrying at once).
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | null {
  if (value === undefined) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  if (!HTTP_DATE.test(trimmed)) return null;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - nowMs);
}

/** The wait before a retry: the server's Retry-After (on 429/503, capped) when given, else backoff. */
export function retryDelayMs(
  retry: number,
  policy: RetryPolicy,
  random: () => number,
  retryAfterMs: number | null,
): number {
  if (retryAfterMs !== null) return Math.min(retryAfterMs, policy.retryAfterCapMs);
  return backoffDelayMs(retry, policy, random);
}
