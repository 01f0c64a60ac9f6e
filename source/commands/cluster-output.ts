/** How the cluster commands print: worker log lines, the status table, the submit summary. */
import type {WorkerEvent, WorkerReport} from '../core/cluster/run-worker.js';
import type {ClusterStatus} from '../core/cluster/status.js';
import type {SubmitReport} from '../core/cluster/submit.js';
import type {RedisEvent} from '../core/cluster/types.js';
import {formatSeconds} from '../ui/format.js';
import type {Io} from './command.js';
import {formatBytes, printLine} from './output.js';

const PROGRESS_LINE_MS = 5_000;
const RETRY_LINE_MS = 5_000;

/** Lines for Redis trouble, at most one "retrying" line per few seconds. */
export function redisPrinter(write: (line: string) => void, now: () => number = Date.now) {
  let lastRetry = -Infinity;
  return (event: RedisEvent) => {
    if (event.type === 'redis-retrying') {
      if (now() - lastRetry < RETRY_LINE_MS) return;
      lastRetry = now();
      write(
        `redis ${event.address} unreachable, retrying (attempt ${event.attempt}, ${(event.waitedMs / 1000).toFixed(1)} s so far)`,
      );
    } else if (event.type === 'redis-back') {
      lastRetry = -Infinity;
      write(`redis ${event.address} is back`);
    } else {
      write(`redis ${event.address} unreachable for ${(event.waitedMs / 1000).toFixed(0)} s: giving up`);
    }
  };
}

/** The worker's log: one line per shard event, progress at most every few seconds per shard. */
export function workerPrinter(io: Io, now: () => number = Date.now): (event: WorkerEvent) => void {
  const write = (line: string) => io.stderr.write(`${line}\n`);
  const redis = redisPrinter(write, now);
  const lastProgress = new Map<string, number>();
  return (event) => {
    switch (event.type) {
      case 'ready': {
        const target = event.record
          ? `-> ${event.record.embeddingsDir} (${event.record.model} ${event.record.dtype})`
          : '(no jobs submitted yet)';
        write(
          `worker ${event.worker}: queue ${event.queue} on ${event.address}, ${event.concurrency} at a time ${target}`,
        );
        return;
      }
      case 'shard-start':
        write(`shard ${event.shard}: start (attempt ${event.attempt}, ${event.images} images)`);
        return;
      case 'shard-progress': {
        const p = event.progress;
        if (p.stage === 'starting') return;
        if (now() - (lastProgress.get(p.shard) ?? -Infinity) < PROGRESS_LINE_MS) return;
        lastProgress.set(p.shard, now());
        write(
          `shard ${p.shard}: ${p.stage} ${p.done}/${p.total}${p.failed ? ` (${p.failed} failed)` : ''}, ` +
            `${p.imagesPerSecond.toFixed(1)} img/s, rss ${formatBytes(p.rssBytes)}`,
        );
        return;
      }
      case 'shard-done': {
        lastProgress.delete(event.shard);
        const r = event.result;
        write(
          `shard ${event.shard}: done, ${r.rows} rows, ${r.failed} failed, ${r.seconds.toFixed(1)} s` +
            `${r.skipped ? ' (committed before: skipped)' : r.committed ? '' : ' (not committed)'}`,
        );
        return;
      }
      case 'shard-failed':
        write(`shard ${event.shard}: failed: ${event.reason}`);
        return;
      case 'shard-released':
        write(`shard ${event.shard}: released back to the queue`);
        return;
      case 'stalled':
        write(`shard ${event.shard}: its worker went silent; back in the queue`);
        return;
      case 'stopping':
        write(
          event.active.length === 0
            ? 'stopping: no shard in progress'
            : `stopping: finishing shard ${event.active.join(', ')} (released to the queue after ${Math.round(event.graceMs / 1000)} s); ` +
                'Ctrl+C again quits at once (the shard goes back when its lock expires)',
        );
        return;
      case 'done':
        return;
      default:
        redis(event);
    }
  };
}

export function printWorkerSummary(io: Io, report: WorkerReport): void {
  const why = {
    interrupted: 'interrupted',
    empty: 'the queue is empty',
    'redis-gone': 'Redis is gone',
    'wrong-collection': 'wrong collection',
  }[report.stopReason];
  printLine(
    io,
    `worker ${report.worker} stopped (${why}) after ${formatSeconds(report.seconds)}: ${report.shardsDone} shard(s) done ` +
      `(${report.rows} rows), ${report.shardsFailed} failed, ${report.shardsReleased} released`,
  );
}

export function printSubmit(io: Io, report: SubmitReport, redisHint: string): void {
  const {record} = report;
  const last = String(Number(record.firstShard) + record.shards - 1).padStart(8, '0');
  printLine(
    io,
    `queue ${report.queue} on ${report.address}: ${record.shards} shard(s), ${record.images} images from ${record.source}`,
  );
  printLine(io, `added ${report.added} job(s); ${report.existing} were queued already`);
  printLine(
    io,
    `collection ${record.embeddingsDir} (shards ${record.firstShard}-${last}, ${record.model} ${record.dtype}); images ${record.imagesDir}`,
  );
  printLine(
    io,
    'start workers on machines that see both folders at the same paths (or pass --embeddings/--images):',
  );
  const queueFlag = report.queue === 'visual-cortex' ? '' : ` --queue ${report.queue}`;
  printLine(io, `  visual-cortex worker --redis ${redisHint}${queueFlag} --concurrency 1`);
  printLine(io, `watch them with: visual-cortex cluster status --redis ${redisHint}${queueFlag}`);
}

export function printStatus(io: Io, status: ClusterStatus): void {
  const {counts, record} = status;
  printLine(
    io,
    record
      ? `queue ${status.queue} on ${status.address}: ${record.shards} shard(s), ${record.images} images from ${record.source} -> ${record.embeddingsDir}`
      : `queue ${status.queue} on ${status.address}: nothing submitted`,
  );
  printLine(
    io,
    `shards: ${counts.waiting} waiting, ${counts.active} active, ${counts.completed} completed, ${counts.failed} failed, ${counts.delayed} delayed (retry backoff)`,
  );
  printLine(io, `workers (${new Set(status.workers.map((row) => row.worker)).size}):`);
  for (const row of status.workers) {
    if (row.shard === null) {
      printLine(io, `  ${row.worker.padEnd(28)} idle`);
      continue;
    }
    const silent =
      row.silentSeconds !== null && row.silentSeconds > 10
        ? `  silent ${row.silentSeconds.toFixed(0)} s`
        : '';
    printLine(
      io,
      `  ${row.worker.padEnd(28)} shard ${row.shard} ${String(row.stage).padEnd(8)} ${row.done}/${row.total}` +
        `  ${row.imagesPerSecond.toFixed(1)} img/s  rss ${row.rssBytes === null ? '?' : formatBytes(row.rssBytes)}` +
        `  peak ${row.peakRssBytes === null ? '?' : formatBytes(row.peakRssBytes)}${silent}`,
    );
  }
  printLine(
    io,
    `total ${status.imagesPerSecond.toFixed(1)} img/s, ${status.imagesLeft} images left, ETA ${formatSeconds(status.etaSeconds)}`,
  );
  if (status.failures.length > 0) {
    printLine(io, `failed shards (retry them with 'visual-cortex cluster retry-failed'):`);
    for (const failure of status.failures)
      printLine(io, `  ${failure.id}  after ${failure.attempts} attempt(s): ${failure.reason}`);
  }
}
