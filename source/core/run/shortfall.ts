/**
 * Why a download ended short of its count, and the flag that changes it: one table, read by the `download` and
 * `run` summaries and the dashboard's summary screen.
 */
import {DOWNLOAD_DEFAULTS} from '../download/settings.js';
import type {DownloadReport, FailureReason, StopReason} from '../download/types.js';

interface Advice {
  /** What happened, in a few words. */
  cause: string;
  /** What to change; names the flags in `flags`. */
  fix: string;
  flags: string[];
}

const CHECK_SOURCE: Omit<Advice, 'cause'> = {
  fix: 'check the source: --url, --urls or --from',
  flags: ['--url', '--urls', '--from'],
};
const FEWER_WORKERS: Omit<Advice, 'cause'> = {
  fix: 'try again later (the run resumes), or with fewer --workers',
  flags: ['--workers'],
};

const BY_FAILURE: Record<FailureReason, Advice> = {
  'too-small': {
    cause: 'bodies smaller than --min-bytes',
    fix: `lower --min-bytes N (default ${DOWNLOAD_DEFAULTS.minBytes})`,
    flags: ['--min-bytes'],
  },
  'too-large': {
    cause: 'bodies larger than --max-bytes',
    fix: `raise --max-bytes N (default ${DOWNLOAD_DEFAULTS.maxBytes})`,
    flags: ['--max-bytes'],
  },
  timeout: {
    cause: 'attempts that ran out of time',
    fix: 'raise --timeout S, or use fewer --workers',
    flags: ['--timeout', '--workers'],
  },
  'rate-limited': {
    cause: 'the server asked to slow down (429)',
    fix: 'use fewer --workers, or pause after each image with --sleep-ok S',
    flags: ['--workers', '--sleep-ok'],
  },
  'http-server-error': {cause: 'the server failed (5xx)', ...FEWER_WORKERS},
  reset: {cause: 'connections reset', ...FEWER_WORKERS},
  truncated: {cause: 'bodies cut short', ...FEWER_WORKERS},
  network: {cause: 'network errors', ...FEWER_WORKERS},
  connect: {cause: 'the host could not be reached', ...CHECK_SOURCE},
  'not-found': {cause: 'no image at those URLs (404)', ...CHECK_SOURCE},
  forbidden: {
    cause: 'access refused (401/403)',
    fix: 'check UNSPLASH_ACCESS_KEY, or the URLs (--url, --urls)',
    flags: ['--url', '--urls'],
  },
  'http-client-error': {cause: 'requests refused (4xx)', ...CHECK_SOURCE},
  redirect: {cause: 'too many redirects', ...CHECK_SOURCE},
  'html-page': {cause: 'web pages instead of images', ...CHECK_SOURCE},
  'not-an-image': {cause: 'files that are not images', ...CHECK_SOURCE},
  undecodable: {cause: 'images that do not decode', ...CHECK_SOURCE},
  'too-many-pixels': {
    cause: 'images over the pixel limit',
    fix: 'ask for smaller images (--width, --height)',
    flags: ['--width', '--height'],
  },
  'read-error': {cause: 'files that could not be read', fix: 'check --from', flags: ['--from']},
  'bad-url': {cause: 'lines that are not http(s) URLs', fix: 'fix the --urls file', flags: ['--urls']},
};

const BY_STOP: Partial<Record<StopReason, Advice>> = {
  'attempt-budget': {
    cause: 'the attempt budget was spent',
    fix: 'raise --max-attempts N',
    flags: ['--max-attempts'],
  },
  'time-budget': {cause: 'the time budget was spent', fix: 'raise --max-seconds S', flags: ['--max-seconds']},
  exhausted: {
    cause: 'the source has no more images',
    fix: 'a larger source (--urls, --from) or a smaller --count',
    flags: ['--urls', '--from', '--count'],
  },
};

export interface Shortfall {
  /** Images still missing from the count. */
  missing: number;
  /** e.g. "most failures were too-small (80 of 88): bodies smaller than --min-bytes". */
  why: string;
  fix: string;
}

/** A run whose download ended short of its count (and was not stopped by the user) exits 1, as `download` does. */
export function endedShort(download: DownloadReport | null | undefined): boolean {
  return download != null && explainShortfall(download) !== null;
}

/** Whether `run` (and the dashboard) take a flag: every download option, since they share one definition. */
export function runTakesFlag(_flag: string): boolean {
  return true;
}

/**
 * Null when the count was reached or the user stopped the run; otherwise the dominant failure reason (or, with
 * no failures, why the download stopped) and its fix. `takesFlag` says which flags the caller's command has: a
 * fix naming others points to `visual-cortex download`.
 */
export function explainShortfall(
  report: DownloadReport,
  takesFlag: (flag: string) => boolean = () => true,
): Shortfall | null {
  const missing = report.requested - report.total;
  if (missing <= 0 || report.interrupted) return null;
  const [reason, count] = (Object.entries(report.failedByReason) as [FailureReason, number][]).reduce<
    [FailureReason | null, number]
  >((best, entry) => (entry[1] > best[1] ? entry : best), [null, 0]);
  let why: string;
  let advice: Advice | undefined;
  if (reason !== null) {
    advice = BY_FAILURE[reason];
    const share = count === report.failed ? `all ${count}` : `${count} of ${report.failed}`;
    why = `${count === report.failed ? 'failures were' : 'most failures were'} ${reason} (${share}): ${advice.cause}`;
  } else if (report.duplicates > 0) {
    advice = {...BY_STOP.exhausted!, cause: `the source repeated images (${report.duplicates} duplicates)`};
    why = advice.cause;
  } else {
    advice = BY_STOP[report.stopReason];
    why = advice?.cause ?? `stopped: ${report.stopReason}`;
  }
  let fix = advice?.fix ?? 'run the same command again to resume';
  if (advice && !takesFlag(advice.flags[0]!))
    fix += " (a 'visual-cortex download' flag; then run again: kept images count)";
  return {missing, why, fix};
}
