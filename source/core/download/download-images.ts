/**
 * Bulk download: N workers share one keep-alive pool and one stream of candidate URLs, each item is fetched with
 * bounded retries, validated, de-duplicated and saved atomically, until the count is reached, a budget is spent
 * or the signal aborts. Slots are reserved so the run never keeps more images than asked for (download-run.ts).
 */
import {isUserError} from '../errors.js';
import {asOutputWriteError} from '../fs/output-folder.js';
import {createHttpClient} from '../net/http.js';
import {DownloadRun} from './download-run.js';
import {ImageStore} from './image-store.js';
import {candidateSource, checkProviderSettings} from './providers.js';
import {RunTotals} from './run-totals.js';
import {resolveSettings} from './settings.js';
import type {DownloadEvent, DownloadOptions, DownloadReport, StopReason} from './types.js';
import {WorkerReporter} from './worker-reporter.js';

export type DownloadRunOptions = DownloadOptions & {
  signal?: AbortSignal;
  onEvent?: (event: DownloadEvent) => void;
};

export async function downloadImages(options: DownloadRunOptions): Promise<DownloadReport> {
  const settings = resolveSettings(options);
  await checkProviderSettings(settings.provider);
  const {clock} = settings;
  const emit = (event: DownloadEvent) => options.onEvent?.(event);
  const store = await ImageStore.open(settings.provider.imagesDir, settings.pixelLimit);
  const started = clock.now();
  const alreadyPresent = store.count;
  const toDownload = Math.max(0, settings.count - alreadyPresent);
  const totals = new RunTotals(clock, settings.count, alreadyPresent, toDownload);
  const controller = new AbortController();
  const client = createHttpClient({
    connections: settings.workers,
    connectTimeoutMs: settings.timeouts.connectMs,
    headersTimeoutMs: settings.timeouts.headersMs,
    bodyIdleTimeoutMs: settings.timeouts.bodyIdleMs,
  });
  const source = candidateSource(settings.provider, {
    client,
    signal: controller.signal,
    knownUrls: store.knownUrls,
  });
  const run = new DownloadRun({
    settings,
    store,
    client,
    source,
    controller,
    totals,
    toDownload,
    maxAttempts: settings.maxAttempts ?? Math.max(10, 4 * toDownload),
    deadline: settings.maxSeconds === null ? null : started + settings.maxSeconds * 1000,
    emit,
    onKept: options.onKept,
  });
  const onOuterAbort = () => run.stop();
  options.signal?.addEventListener('abort', onOuterAbort, {once: true});
  if (options.signal?.aborted) run.stop();
  const deadlineTimer =
    settings.maxSeconds === null
      ? undefined
      : setTimeout(() => run.stop('time-budget'), settings.maxSeconds * 1000);

  emit({
    type: 'start',
    provider: settings.provider.provider,
    imagesDir: settings.provider.imagesDir,
    requested: settings.count,
    alreadyPresent,
    toDownload,
    workers: settings.workers,
  });
  try {
    if (toDownload > 0) {
      await run.runWorkers(
        Array.from(
          {length: settings.workers},
          (_, id) => new WorkerReporter(id, emit, clock, settings.progressIntervalMs),
        ),
      );
    }
  } finally {
    clearTimeout(deadlineTimer);
    options.signal?.removeEventListener('abort', onOuterAbort);
    await source.return(undefined).catch(() => undefined);
    await client.close().catch(() => undefined);
    // A group commit that failed (e.g. a full disk) fails the run like a failed write would have.
    await store.close().catch((error: unknown) => {
      run.fatalError ??= error;
    });
  }
  // Kept images stay valid (each was written atomically and indexed or adoptable); only the run stops.
  if (run.fatalError !== null) throw asOutputWriteError(run.fatalError, settings.provider.imagesDir);
  if (isUserError(run.sourceError)) throw run.sourceError;

  const interrupted = options.signal?.aborted === true;
  const stopReason: StopReason =
    totals.kept >= toDownload ? 'complete' : interrupted ? 'aborted' : (run.budgetStop ?? 'exhausted');
  const final = totals.snapshot();
  const report = totals.report(final, {
    provider: settings.provider.provider,
    imagesDir: settings.provider.imagesDir,
    interrupted,
    stopReason,
    sourceError:
      run.unreachable ??
      (run.sourceError === null ? null : String((run.sourceError as Error).message ?? run.sourceError)),
    cleanedTempFiles: store.cleanedTempFiles,
    recoveredFiles: store.recoveredFiles,
  });
  emit({type: 'totals', totals: final});
  emit({type: 'done', report});
  return report;
}
