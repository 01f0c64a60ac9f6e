/**
 * One candidate URL (or local file) taken to a verdict: fetched or read, validated, and retried by the retry
 * policy until it is a valid image, a counted failure, or stopped by the run. Failures are data here (events and
 * totals), never exceptions; saving the image is the caller's.
 */
import type {HttpClient} from '../net/http.js';
import type {Candidate} from './candidate.js';
import {type AttemptResult, fetchAttempt, readLocalAttempt} from './fetch-attempt.js';
import {isRetryable, retryDelayMs} from './retry-policy.js';
import type {RunTotals} from './run-totals.js';
import type {DownloadSettings} from './settings.js';
import type {SniffedType} from './sniff.js';
import type {DownloadEvent, FailureReason} from './types.js';
import {validateImage} from './validate-image.js';
import type {WorkerReporter} from './worker-reporter.js';

export interface ValidImage {
  type: SniffedType;
  width: number;
  height: number;
  format: string;
}

export type ItemVerdict =
  | {outcome: 'image'; bytes: Uint8Array; image: ValidImage; attempt: number}
  | {outcome: 'failed'}
  | {outcome: 'stopped'};

export interface AttemptContext {
  settings: DownloadSettings;
  client: HttpClient;
  signal: AbortSignal;
  totals: RunTotals;
  emit: (event: DownloadEvent) => void;
  /** false once the run's attempt budget is spent (the caller records why the run stops). */
  attemptBudgetLeft: () => boolean;
  /** Told of every attempt that ended (not aborted), before its verdict: the run watches whether it reaches its host. */
  onAttempt?: (candidate: Candidate, result: Exclude<AttemptResult, {aborted: true}>) => void;
}

type Failure = {reason: FailureReason; message: string; retryAfterMs: number | null; status?: number};

export async function attemptItem(
  context: AttemptContext,
  worker: WorkerReporter,
  candidate: Candidate,
): Promise<ItemVerdict> {
  const {settings, signal, totals, emit} = context;
  for (let attempt = 1; ; attempt++) {
    if (signal.aborted || !context.attemptBudgetLeft()) return {outcome: 'stopped'};
    totals.attempted();
    worker.begin(candidate.url, attempt);
    const result = await receive(context, worker, candidate);
    if (!result.ok && result.aborted) return {outcome: 'stopped'};
    context.onAttempt?.(candidate, result);
    // The run may have stopped on this failure (its provider cannot be reached): no retry, no failure to count.
    if (!result.ok && signal.aborted) return {outcome: 'stopped'};
    let failure: Failure;
    if (result.ok) {
      const valid = await validateImage(result.bytes, settings);
      if (valid.ok) {
        const {ok: _, ...image} = valid;
        return {outcome: 'image', bytes: result.bytes, image, attempt};
      }
      failure = {...valid, retryAfterMs: null};
    } else {
      failure = result;
    }
    const canRetry =
      isRetryable(failure.reason, failure.status) && attempt <= settings.retry.retries && !signal.aborted;
    if (canRetry && context.attemptBudgetLeft()) {
      const delayMs = retryDelayMs(attempt, settings.retry, settings.clock.random, failure.retryAfterMs);
      totals.retried(failure.reason);
      emit({type: 'retry', worker: worker.id, url: candidate.url, attempt, delayMs, ...pick(failure)});
      worker.set('retrying', delayMs);
      await settings.clock.sleep(delayMs, signal);
      continue;
    }
    totals.failed(failure.reason);
    emit({type: 'failed', worker: worker.id, url: candidate.url, attempts: attempt, ...pick(failure)});
    return {outcome: 'failed'};
  }
}

/** The bytes of one attempt, counted into the totals and the worker's progress as they arrive. */
async function receive(
  context: AttemptContext,
  worker: WorkerReporter,
  candidate: Candidate,
): Promise<AttemptResult> {
  const {settings, totals} = context;
  if (candidate.localPath !== undefined) {
    const result = await readLocalAttempt(candidate.localPath, settings.maxBytes);
    if (result.ok) totals.received(result.bytes.length);
    return result;
  }
  let counted = 0;
  return fetchAttempt(context.client, candidate.url, {
    signal: context.signal,
    attemptTimeoutMs: settings.timeouts.attemptMs,
    maxBytes: settings.maxBytes,
    maxRedirects: settings.maxRedirects,
    onBytes: (received, total) => {
      totals.received(received - counted);
      counted = received;
      worker.progress(received, total);
    },
  });
}

function pick(failure: {reason: FailureReason; message: string}): {reason: FailureReason; message: string} {
  return {reason: failure.reason, message: failure.message};
}
