/**
 * Bulk download: N workers share one keep-alive pool and one stream of candidate URLs, each item is fetched with
 * bounded retries, validated, de-duplicated and saved atomically, until the count is reached, a budget is spent
 * or the signal aborts. Slots are reserved so the run never keeps more images than asked for.
 */
import {setMaxListeners} from 'node:events';
import {isUserError} from '../errors.js';
import {asOutputWriteError} from '../fs/output-folder.js';
import {createHttpClient} from '../net/http.js';
import {type AttemptResult, fetchAttempt, readLocalAttempt} from './fetch-attempt.js';
import {ImageStore, sha256Hex} from './image-store.js';
import {type Candidate, candidateSource, checkProviderSettings} from './providers.js';
import {isRetryable, retryDelayMs} from './retry-policy.js';
import {RunTotals} from './run-totals.js';
import {SavesBehindWorkers} from './saves-behind.js';
import {resolveSettings} from './settings.js';
import {extensionFor, type SniffedType} from './sniff.js';
import type {DownloadEvent, DownloadOptions, DownloadReport, FailureReason, StopReason} from './types.js';
import {validateImage} from './validate-image.js';
import {WorkerReporter} from './worker-reporter.js';

export type DownloadRunOptions = DownloadOptions & {
  signal?: AbortSignal;
  onEvent?: (event: DownloadEvent) => void;
};

type ItemOutcome = 'kept' | 'duplicate' | 'failed' | 'stopped';

export async function downloadImages(options: DownloadRunOptions): Promise<DownloadReport> {
  const settings = resolveSettings(options);
  await checkProviderSettings(settings.provider);
  const {clock} = settings;
  const emit = (event: DownloadEvent) => options.onEvent?.(event);
  const store = await ImageStore.open(settings.provider.outputDir, settings.pixelLimit);
  const started = clock.now();
  const alreadyPresent = store.count;
  const toDownload = Math.max(0, settings.count - alreadyPresent);
  const maxAttempts = settings.maxAttempts ?? Math.max(10, 4 * toDownload);
  const totals = new RunTotals(clock, settings.count, alreadyPresent, toDownload);
  let inFlight = 0;
  let sourceDone = false;
  let sourceError: unknown = null;
  let fatalError: unknown = null;
  let budgetStop: StopReason | null = null;
  let slotWaiters: Array<() => void> = [];
  const wakeWaiters = () => {
    const waiters = slotWaiters;
    slotWaiters = [];
    for (const wake of waiters) wake();
  };

  const run = new AbortController();
  // Every worker's request and sleep listens to this signal: more than Node's default 10 listeners is expected.
  setMaxListeners(4 * settings.workers + 10, run.signal);
  const onOuterAbort = () => run.abort();
  options.signal?.addEventListener('abort', onOuterAbort, {once: true});
  if (options.signal?.aborted) run.abort();
  run.signal.addEventListener('abort', wakeWaiters, {once: true});
  const deadline = settings.maxSeconds === null ? null : started + settings.maxSeconds * 1000;
  const deadlineTimer =
    settings.maxSeconds === null
      ? undefined
      : setTimeout(() => {
          budgetStop ??= 'time-budget';
          run.abort();
        }, settings.maxSeconds * 1000);

  const client = createHttpClient({
    connections: settings.workers,
    connectTimeoutMs: settings.timeouts.connectMs,
    headersTimeoutMs: settings.timeouts.headersMs,
    bodyIdleTimeoutMs: settings.timeouts.bodyIdleMs,
  });
  const source = candidateSource(settings.provider, {client, signal: run.signal, knownUrls: store.knownUrls});
  const pendingHooks: Promise<unknown>[] = [];
  const savesBehind = new SavesBehindWorkers();

  const emitTotals = () => emit({type: 'totals', totals: totals.snapshot()});
  const attemptBudgetLeft = () => {
    if (totals.attempts < maxAttempts) return true;
    budgetStop ??= 'attempt-budget';
    return false;
  };

  async function processItem(worker: WorkerReporter, candidate: Candidate): Promise<ItemOutcome> {
    for (let attempt = 1; ; attempt++) {
      if (run.signal.aborted || !attemptBudgetLeft()) return 'stopped';
      totals.attempted();
      worker.begin(candidate.url, attempt);
      let result: AttemptResult;
      if (candidate.localPath !== undefined) {
        result = await readLocalAttempt(candidate.localPath, settings.maxBytes);
        if (result.ok) totals.received(result.bytes.length);
      } else {
        let counted = 0;
        result = await fetchAttempt(client, candidate.url, {
          signal: run.signal,
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
      if (!result.ok && result.aborted) return 'stopped';
      let failure: {reason: FailureReason; message: string; retryAfterMs: number | null; status?: number};
      if (result.ok) {
        const valid = await validateImage(result.bytes, settings);
        if (valid.ok) return keepImage(worker, candidate, result.bytes, valid, attempt);
        failure = {...valid, retryAfterMs: null};
      } else {
        failure = result;
      }
      const canRetry =
        isRetryable(failure.reason, failure.status) &&
        attempt <= settings.retry.retries &&
        !run.signal.aborted;
      if (canRetry && attemptBudgetLeft()) {
        const delayMs = retryDelayMs(attempt, settings.retry, clock.random, failure.retryAfterMs);
        totals.retried(failure.reason);
        emit({type: 'retry', worker: worker.id, url: candidate.url, attempt, delayMs, ...pick(failure)});
        worker.set('retrying', delayMs);
        await clock.sleep(delayMs, run.signal);
        continue;
      }
      totals.failed(failure.reason);
      emit({type: 'failed', worker: worker.id, url: candidate.url, attempts: attempt, ...pick(failure)});
      return 'failed';
    }
  }

  async function keepImage(
    worker: WorkerReporter,
    candidate: Candidate,
    bytes: Uint8Array,
    image: {type: SniffedType; width: number; height: number; format: string},
    attempt: number,
  ): Promise<ItemOutcome> {
    await savesBehind.ready(worker.id);
    // A save that failed behind this worker has already stopped the run.
    if (fatalError !== null) return 'stopped';
    const sha256 = sha256Hex(bytes);
    const existing = store.duplicateOf(sha256);
    if (existing !== undefined) {
      totals.duplicate();
      emit({type: 'duplicate', worker: worker.id, url: candidate.url, sha256, existing});
      return 'duplicate';
    }
    // The save holds a download slot of its own until the image is on disk, so the count is never overshot.
    inFlight++;
    const save = store
      .keep(bytes, {
        sha256,
        url: candidate.url,
        provider: settings.provider.provider,
        width: image.width,
        height: image.height,
        extension: extensionFor(image.type),
      })
      .then(
        (entry) => {
          totals.keptImage(entry.name, bytes.length);
          emit({
            type: 'kept',
            worker: worker.id,
            attempt,
            file: entry.name,
            sha256,
            url: candidate.url,
            width: image.width,
            height: image.height,
            format: image.format,
            bytes: bytes.length,
          });
          if (candidate.onKept) pendingHooks.push(candidate.onKept().catch(() => undefined));
        },
        (error: unknown) => {
          // Not an item failure but a broken run (e.g. a full disk): stop everyone; it is rethrown at the end.
          fatalError ??= error;
          run.abort();
        },
      )
      .finally(() => {
        inFlight--;
        wakeWaiters();
        emitTotals();
      });
    savesBehind.start(worker.id, save);
    return 'kept';
  }

  async function runWorker(worker: WorkerReporter): Promise<void> {
    try {
      await workerLoop(worker);
    } catch (error) {
      // Not an item failure (those are data) but a broken run, e.g. a full disk: stop everyone, then rethrow.
      fatalError ??= error;
      run.abort();
    } finally {
      worker.set('done');
    }
  }

  async function workerLoop(worker: WorkerReporter): Promise<void> {
    while (!run.signal.aborted && !sourceDone && totals.kept < toDownload) {
      if (deadline !== null && clock.now() >= deadline) {
        budgetStop ??= 'time-budget';
        break;
      }
      if (totals.kept + inFlight >= toDownload) {
        // Every missing image has a worker on it; wait in case one of them fails.
        worker.set('idle');
        await new Promise<void>((resolve) => slotWaiters.push(resolve));
        continue;
      }
      if (!attemptBudgetLeft()) break;
      inFlight++;
      let outcome: ItemOutcome = 'stopped';
      try {
        const next = await source.next().catch((error: unknown) => {
          sourceError ??= error;
          return {done: true as const, value: undefined};
        });
        if (next.done) {
          sourceDone = true;
          break;
        }
        outcome = await processItem(worker, next.value);
      } finally {
        inFlight--;
        wakeWaiters();
      }
      emitTotals();
      const pause =
        outcome === 'failed' ? settings.sleepFailMs : outcome === 'stopped' ? 0 : settings.sleepOkMs;
      if (pause > 0 && totals.kept < toDownload) {
        worker.set('waiting', pause);
        await clock.sleep(pause, run.signal);
      }
      worker.set('idle');
    }
  }

  emit({
    type: 'start',
    provider: settings.provider.provider,
    outputDir: settings.provider.outputDir,
    requested: settings.count,
    alreadyPresent,
    toDownload,
    workers: settings.workers,
  });
  try {
    if (toDownload > 0) {
      const workers = Array.from(
        {length: settings.workers},
        (_, id) => new WorkerReporter(id, emit, clock, settings.progressIntervalMs),
      );
      try {
        await Promise.all(workers.map(runWorker));
      } finally {
        await savesBehind.drain();
      }
    }
    await Promise.allSettled(pendingHooks);
  } finally {
    clearTimeout(deadlineTimer);
    options.signal?.removeEventListener('abort', onOuterAbort);
    await source.return(undefined).catch(() => undefined);
    await client.close().catch(() => undefined);
    // A group commit that failed (e.g. a full disk) fails the run like a failed write would have.
    await store.close().catch((error: unknown) => {
      fatalError ??= error;
    });
  }
  // Kept images stay valid (each was written atomically and indexed or adoptable); only the run stops.
  if (fatalError !== null) throw asOutputWriteError(fatalError, settings.provider.outputDir);
  if (isUserError(sourceError)) throw sourceError;

  const interrupted = options.signal?.aborted === true;
  const stopReason: StopReason =
    totals.kept >= toDownload ? 'complete' : interrupted ? 'aborted' : (budgetStop ?? 'exhausted');
  const final = totals.snapshot();
  const report = totals.report(final, {
    provider: settings.provider.provider,
    outputDir: settings.provider.outputDir,
    interrupted,
    stopReason,
    sourceError: sourceError === null ? null : String((sourceError as Error).message ?? sourceError),
    cleanedTempFiles: store.cleanedTempFiles,
    recoveredFiles: store.recoveredFiles,
  });
  emit({type: 'totals', totals: final});
  emit({type: 'done', report});
  return report;
}

function pick(failure: {reason: FailureReason; message: string}): {reason: FailureReason; message: string} {
  return {reason: failure.reason, message: failure.message};
}
