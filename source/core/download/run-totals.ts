/** The counters of one download run, and the totals and report built from them. */
import type {DownloadClock, DownloadReport, DownloadTotals, FailureReason} from './types.js';

type ReasonCounts = Partial<Record<FailureReason, number>>;

export class RunTotals {
  readonly files: string[] = [];
  retries = 0;
  private readonly counts: DownloadTotals;
  private readonly started: number;

  constructor(
    private readonly clock: Pick<DownloadClock, 'now'>,
    requested: number,
    alreadyPresent: number,
    toDownload: number,
  ) {
    this.started = clock.now();
    this.counts = {
      requested,
      alreadyPresent,
      toDownload,
      kept: 0,
      failed: 0,
      failedByReason: {},
      retriesByReason: {},
      duplicates: 0,
      attempts: 0,
      bytes: 0,
      bytesReceived: 0,
      elapsedSeconds: 0,
      imagesPerSecond: 0,
      bytesPerSecond: 0,
    };
  }

  get kept(): number {
    return this.counts.kept;
  }

  get attempts(): number {
    return this.counts.attempts;
  }

  attempted(): void {
    this.counts.attempts++;
  }

  received(bytes: number): void {
    this.counts.bytesReceived += bytes;
  }

  keptImage(name: string, bytes: number): void {
    this.counts.kept++;
    this.counts.bytes += bytes;
    this.files.push(name);
  }

  duplicate(): void {
    this.counts.duplicates++;
  }

  retried(reason: FailureReason): void {
    this.retries++;
    bump(this.counts.retriesByReason, reason);
  }

  failed(reason: FailureReason): void {
    this.counts.failed++;
    bump(this.counts.failedByReason, reason);
  }

  /** A copy with the rates brought up to now, safe to hand to a UI. */
  snapshot(): DownloadTotals {
    const elapsed = Math.max(1e-9, (this.clock.now() - this.started) / 1000);
    const counts = this.counts;
    return {
      ...counts,
      failedByReason: {...counts.failedByReason},
      retriesByReason: {...counts.retriesByReason},
      elapsedSeconds: elapsed,
      imagesPerSecond: counts.kept / elapsed,
      bytesPerSecond: counts.bytesReceived / elapsed,
    };
  }

  report(
    totals: DownloadTotals,
    rest: Pick<
      DownloadReport,
      | 'provider'
      | 'imagesDir'
      | 'interrupted'
      | 'stopReason'
      | 'sourceError'
      | 'cleanedTempFiles'
      | 'recoveredFiles'
    >,
  ): DownloadReport {
    return {
      provider: rest.provider,
      imagesDir: rest.imagesDir,
      requested: totals.requested,
      alreadyPresent: totals.alreadyPresent,
      kept: totals.kept,
      total: totals.alreadyPresent + totals.kept,
      failed: totals.failed,
      failedByReason: totals.failedByReason,
      retries: this.retries,
      retriesByReason: totals.retriesByReason,
      duplicates: totals.duplicates,
      attempts: totals.attempts,
      bytes: totals.bytes,
      bytesReceived: totals.bytesReceived,
      seconds: totals.elapsedSeconds,
      interrupted: rest.interrupted,
      stopReason: rest.stopReason,
      sourceError: rest.sourceError,
      cleanedTempFiles: rest.cleanedTempFiles,
      recoveredFiles: rest.recoveredFiles,
      files: [...this.files],
    };
  }
}

function bump(counts: ReasonCounts, reason: FailureReason): void {
  counts[reason] = (counts[reason] ?? 0) + 1;
}
