/** How `download` prints: one plain line per event without a TTY, one live status line on a TTY. */
import type {DownloadEvent, DownloadReport, DownloadTotals} from '../core/download/types.js';
import {unreachableHint} from '../core/download/unreachable.js';
import {explainShortfall} from '../core/run/shortfall.js';
import type {Io} from './command.js';
import {formatBytes} from './output.js';

const LIVE_INTERVAL_MS = 100;

export interface DownloadPrinter {
  onEvent(event: DownloadEvent): void;
  /** Clears the live line (TTY) so the summary starts on a clean line. */
  finish(): void;
}

export function createDownloadPrinter(io: Io): DownloadPrinter {
  return io.stdout.isTTY ? livePrinter(io) : plainPrinter(io);
}

function plainPrinter(io: Io): DownloadPrinter {
  const write = (line: string) => io.stdout.write(`${line}\n`);
  return {
    onEvent(event) {
      switch (event.type) {
        case 'start':
          write(
            `${event.alreadyPresent} of ${event.requested} images already in ${event.imagesDir}; ` +
              `downloading ${event.toDownload} from ${event.provider} with ${event.workers} workers`,
          );
          return;
        case 'kept':
          write(`kept ${event.file} ${event.width}x${event.height} ${formatBytes(event.bytes)} ${event.url}`);
          return;
        case 'duplicate':
          write(`duplicate of ${event.existing}: ${event.url}`);
          return;
        case 'retry':
          write(
            `retry ${event.url}: ${event.reason} (${event.message}); attempt ${event.attempt + 1} in ${(event.delayMs / 1000).toFixed(1)} s`,
          );
          return;
        case 'failed':
          write(`failed ${event.url}: ${event.reason} (${event.message}) after ${event.attempts} attempt(s)`);
          return;
        default:
          return;
      }
    },
    finish() {},
  };
}

function livePrinter(io: Io): DownloadPrinter {
  let lastDraw = 0;
  let totals: DownloadTotals | undefined;
  let active = 0;
  const busy = new Map<number, boolean>();
  const draw = (force = false) => {
    const now = Date.now();
    if (!totals || (!force && now - lastDraw < LIVE_INTERVAL_MS)) return;
    lastDraw = now;
    const columns = io.stdout.columns ?? 100;
    io.stdout.write(`\r\x1b[2K${liveLine(totals, active).slice(0, columns - 1)}`);
  };
  return {
    onEvent(event) {
      if (event.type === 'totals') totals = event.totals;
      if (event.type === 'worker') {
        busy.set(
          event.worker,
          event.state === 'connecting' || event.state === 'receiving' || event.state === 'retrying',
        );
        active = [...busy.values()].filter(Boolean).length;
      }
      if (event.type === 'start') {
        io.stdout.write(
          `${event.alreadyPresent}/${event.requested} present; fetching ${event.toDownload} from ${event.provider}\n`,
        );
      }
      draw(event.type === 'totals');
    },
    finish() {
      if (lastDraw > 0) io.stdout.write('\r\x1b[2K');
    },
  };
}

function liveLine(totals: DownloadTotals, active: number): string {
  const failed = totals.failed > 0 ? `  failed ${totals.failed}` : '';
  const duplicates = totals.duplicates > 0 ? `  dup ${totals.duplicates}` : '';
  return (
    `kept ${totals.kept}/${totals.toDownload}  ${totals.imagesPerSecond.toFixed(1)} img/s  ` +
    `${formatBytes(totals.bytesPerSecond)}/s  workers ${active}${failed}${duplicates}  ${totals.elapsedSeconds.toFixed(0)} s`
  );
}

const STOP_REASONS: Record<DownloadReport['stopReason'], string> = {
  complete: 'the requested count is reached',
  'attempt-budget': 'the attempt budget is spent (--max-attempts)',
  'time-budget': 'the time budget is spent (--max-seconds)',
  exhausted: 'the source has no more images',
  aborted: 'interrupted',
  unreachable: 'the provider cannot be reached',
};

export function formatDownloadSummary(report: DownloadReport): string[] {
  const lines = [
    `saved ${report.kept} new image(s) in ${report.seconds.toFixed(1)} s (${formatBytes(report.bytes)}); ` +
      `${report.total} of ${report.requested} now in ${report.imagesDir}`,
    `stopped: ${STOP_REASONS[report.stopReason]}`,
  ];
  if (report.stopReason === 'unreachable') {
    lines.push(`  ${report.sourceError}`, `  what to do: ${unreachableHint(report.provider)}`);
  } else {
    const shortfall = explainShortfall(report);
    if (shortfall) lines.push(`${shortfall.missing} short: ${shortfall.why}`, `  fix: ${shortfall.fix}`);
  }
  const reasons = Object.entries(report.failedByReason).map(([reason, count]) => `${reason} ${count}`);
  if (report.failed > 0) lines.push(`failed ${report.failed}: ${reasons.join(', ')}`);
  lines.push(`duplicates ${report.duplicates}, retries ${report.retries}, attempts ${report.attempts}`);
  if (report.sourceError && report.stopReason !== 'unreachable')
    lines.push(`source error: ${report.sourceError}`);
  if (report.cleanedTempFiles > 0 || report.recoveredFiles > 0) {
    lines.push(
      `recovered: ${report.cleanedTempFiles} stale temp file(s) removed, ${report.recoveredFiles} unindexed image(s) adopted`,
    );
  }
  return lines;
}
