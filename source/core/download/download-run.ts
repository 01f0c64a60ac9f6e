/**
 * One download run's workers and the state they share: each worker takes the next candidate from the one source,
 * takes it to a verdict (item-attempts.ts) and, when the image is valid and new, saves it behind its next fetch.
 * Download slots (items in hand plus saves not yet on disk) are counted, so the run never keeps more images than
 * asked for. A broken run (e.g. a save that hit a full disk) stops every worker and is reported once, at the end.
 */
import {setMaxListeners} from 'node:events';
import {join} from 'node:path';
import {type HttpClient, HttpError} from '../net/http.js';
import type {Candidate} from './candidate.js';
import {sha256Hex} from './download-index.js';
import {DownloadSlots} from './download-slots.js';
import type {AttemptResult} from './fetch-attempt.js';
import type {ImageStore} from './image-store.js';
import {type AttemptContext, attemptItem, type ItemVerdict} from './item-attempts.js';
import type {RunTotals} from './run-totals.js';
import {SavesBehindWorkers} from './saves-behind.js';
import type {DownloadSettings} from './settings.js';
import {extensionFor} from './sniff.js';
import type {DownloadEvent, DownloadOptions, StopReason} from './types.js';
import {UnreachableWatch} from './unreachable.js';
import type {WorkerReporter} from './worker-reporter.js';

type ItemOutcome = 'kept' | 'duplicate' | 'failed' | 'stopped';
type ValidItem = Extract<ItemVerdict, {outcome: 'image'}>;

export interface DownloadRunParts {
  settings: DownloadSettings;
  store: ImageStore;
  client: HttpClient;
  source: AsyncGenerator<Candidate>;
  /** Aborted by the user's signal, the time budget, or a broken run; every request and sleep listens to it. */
  controller: AbortController;
  totals: RunTotals;
  toDownload: number;
  maxAttempts: number;
  /** Clock time after which no new item starts; null for no time budget. */
  deadline: number | null;
  emit: (event: DownloadEvent) => void;
  /** Hands each saved image on; its worker waits for the promise before keeping another (backpressure). */
  onKept?: DownloadOptions['onKept'];
}

export class DownloadRun {
  /** Not an item failure but a broken run (e.g. a full disk); rethrown by the caller once all has closed. */
  fatalError: unknown = null;
  sourceError: unknown = null;
  budgetStop: StopReason | null = null;
  /** Why the provider is judged unreachable (the run stopped with 'unreachable'), or null. */
  unreachable: string | null = null;
  private readonly reach = new UnreachableWatch();
  private sourceDone = false;
  private readonly slots: DownloadSlots;
  private readonly pendingHooks: Promise<unknown>[] = [];
  private readonly savesBehind = new SavesBehindWorkers();
  private readonly attempts: AttemptContext;

  constructor(private readonly parts: DownloadRunParts) {
    const {signal} = parts.controller;
    // Every worker's request and sleep listens to this signal: more than Node's default 10 listeners is expected.
    setMaxListeners(4 * parts.settings.workers + 10, signal);
    this.slots = new DownloadSlots(parts.totals, parts.toDownload);
    signal.addEventListener('abort', () => this.slots.wakeAll(), {once: true});
    this.attempts = {
      ...parts,
      signal,
      attemptBudgetLeft: () => this.attemptBudgetLeft(),
      onAttempt: (candidate, result) => this.watchReach(candidate, result),
    };
  }

  /** Stops the run once its first attempts show that the provider cannot be reached and nothing was kept. */
  private watchReach(candidate: Candidate, result: Exclude<AttemptResult, {aborted: true}>): void {
    if (result.ok || result.reason !== 'connect') this.reach.reached();
    else if (
      this.reach.connectFailed(candidate, candidate.url, result.message) &&
      this.parts.totals.kept === 0
    ) {
      this.unreachable ??= this.reach.describe();
      this.stop('unreachable');
    }
  }

  /** Stops every worker; a budget reason is kept unless an earlier one was recorded. */
  stop(budget?: StopReason): void {
    if (budget) this.budgetStop ??= budget;
    this.parts.controller.abort();
  }

  /** Runs the workers to the end, then waits for the saves behind them and the providers' hooks. */
  async runWorkers(workers: readonly WorkerReporter[]): Promise<void> {
    try {
      await Promise.all(workers.map((worker) => this.runWorker(worker)));
    } finally {
      await this.savesBehind.drain();
    }
    await Promise.allSettled(this.pendingHooks);
  }

  private get signal(): AbortSignal {
    return this.parts.controller.signal;
  }

  private attemptBudgetLeft(): boolean {
    if (this.parts.totals.attempts < this.parts.maxAttempts) return true;
    this.budgetStop ??= 'attempt-budget';
    return false;
  }

  private emitTotals(): void {
    this.parts.emit({type: 'totals', totals: this.parts.totals.snapshot()});
  }

  private async runWorker(worker: WorkerReporter): Promise<void> {
    try {
      await this.workerLoop(worker);
    } catch (error) {
      // Not an item failure (those are data) but a broken run, e.g. a full disk: stop everyone, then rethrow.
      this.fatalError ??= error;
      this.stop();
    } finally {
      worker.set('done');
    }
  }

  private async workerLoop(worker: WorkerReporter): Promise<void> {
    const {settings, totals, toDownload, deadline, source} = this.parts;
    while (!this.signal.aborted && !this.sourceDone && totals.kept < toDownload) {
      if (deadline !== null && settings.clock.now() >= deadline) {
        this.budgetStop ??= 'time-budget';
        break;
      }
      if (this.slots.allTaken) {
        // Every missing image has a worker on it; wait in case one of them fails.
        worker.set('idle');
        await this.slots.changed();
        continue;
      }
      if (!this.attemptBudgetLeft()) break;
      this.slots.take();
      let outcome: ItemOutcome = 'stopped';
      try {
        const next = await source.next().catch((error: unknown) => {
          this.sourceError ??= error;
          // The source's own API (Unsplash) could not be reached, and nothing was kept.
          if (error instanceof HttpError && error.kind === 'connect' && totals.kept === 0) {
            this.unreachable ??= `cannot reach the ${settings.provider.provider} API: ${error.message}`;
            this.budgetStop ??= 'unreachable';
          }
          return {done: true as const, value: undefined};
        });
        if (next.done) {
          this.sourceDone = true;
          break;
        }
        const verdict = await attemptItem(this.attempts, worker, next.value);
        outcome =
          verdict.outcome === 'image' ? await this.keepImage(worker, next.value, verdict) : verdict.outcome;
      } finally {
        this.slots.release();
      }
      this.emitTotals();
      const pause =
        outcome === 'failed' ? settings.sleepFailMs : outcome === 'stopped' ? 0 : settings.sleepOkMs;
      if (pause > 0 && totals.kept < toDownload) {
        worker.set('waiting', pause);
        await settings.clock.sleep(pause, this.signal);
      }
      worker.set('idle');
    }
  }

  private async keepImage(
    worker: WorkerReporter,
    candidate: Candidate,
    {bytes, image, attempt}: ValidItem,
  ): Promise<ItemOutcome> {
    const {store, totals, emit, settings} = this.parts;
    await this.savesBehind.ready(worker.id);
    // A save that failed behind this worker has already stopped the run.
    if (this.fatalError !== null) return 'stopped';
    const sha256 = sha256Hex(bytes);
    const existing = store.duplicateOf(sha256);
    if (existing !== undefined) {
      totals.duplicate();
      emit({type: 'duplicate', worker: worker.id, url: candidate.url, sha256, existing});
      return 'duplicate';
    }
    // The save holds a download slot of its own until the image is on disk, so the count is never overshot.
    this.slots.take();
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
        async (entry) => {
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
          if (candidate.onKept) this.pendingHooks.push(candidate.onKept().catch(() => undefined));
          // The save (and so this worker's next keep) waits until the consumer has taken the image.
          const handOn = this.parts.onKept?.({
            file: entry.name,
            path: join(store.directory, entry.name),
            sha256,
          });
          await handOn?.catch(() => undefined);
        },
        (error: unknown) => {
          // Not an item failure but a broken run (e.g. a full disk): stop everyone; it is rethrown at the end.
          this.fatalError ??= error;
          this.stop();
        },
      )
      .finally(() => {
        this.slots.release();
        this.emitTotals();
      });
    this.savesBehind.start(worker.id, save);
    return 'kept';
  }
}
