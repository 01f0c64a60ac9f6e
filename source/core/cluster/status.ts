/**
 * `cluster status`: job counts, a row per worker built from the progress its active jobs carry (idle workers from
 * the connections Redis lists), the total rate, an ETA from the images left, and the failures with reasons.
 */
import {ClusterQueue, type OpenQueueOptions, type QueueSnapshot} from './queue.js';
import type {ClusterRecord} from './types.js';

export interface WorkerRow {
  worker: string;
  host: string;
  pid: number | null;
  /** null for an idle worker. */
  shard: string | null;
  stage: string | null;
  attempt: number | null;
  done: number;
  total: number;
  failed: number;
  imagesPerSecond: number;
  rssBytes: number | null;
  peakRssBytes: number | null;
  /** Seconds since its last progress write: a worker that died shows a growing number until its lock expires. */
  silentSeconds: number | null;
}

export interface ClusterStatus {
  queue: string;
  address: string;
  record: ClusterRecord | null;
  counts: QueueSnapshot['counts'];
  workers: WorkerRow[];
  imagesPerSecond: number;
  /** Images not processed yet: waiting shards in full plus what active shards have left. */
  imagesLeft: number;
  etaSeconds: number | null;
  failures: QueueSnapshot['failed'];
}

export function buildStatus(
  snapshot: QueueSnapshot,
  record: ClusterRecord | null,
  meta: {queue: string; address: string; now: number},
): ClusterStatus {
  const workers: WorkerRow[] = snapshot.active.map((job) => {
    const p = job.progress;
    return {
      worker: p?.worker ?? '?',
      host: p?.host ?? '?',
      pid: p?.pid ?? null,
      shard: job.id,
      stage: p?.stage ?? 'starting',
      attempt: job.attempt,
      done: p?.done ?? 0,
      total: p?.total ?? job.count,
      failed: p?.failed ?? 0,
      imagesPerSecond: p?.imagesPerSecond ?? 0,
      rssBytes: p?.rssBytes ?? null,
      peakRssBytes: p?.peakRssBytes ?? null,
      silentSeconds: p ? Math.max(0, (meta.now - p.updatedAt) / 1000) : null,
    };
  });
  const busy = new Set(workers.map((row) => row.worker));
  for (const name of new Set(snapshot.workers)) {
    if (busy.has(name)) continue;
    const [host = name, pid] = name.split(/:(?=\d+$)/);
    workers.push({
      worker: name,
      host,
      pid: pid === undefined ? null : Number(pid),
      shard: null,
      stage: null,
      attempt: null,
      done: 0,
      total: 0,
      failed: 0,
      imagesPerSecond: 0,
      rssBytes: null,
      peakRssBytes: null,
      silentSeconds: null,
    });
  }
  workers.sort((a, b) => a.worker.localeCompare(b.worker) || (a.shard ?? '').localeCompare(b.shard ?? ''));
  const imagesPerSecond = workers.reduce((sum, row) => sum + row.imagesPerSecond, 0);
  const perShard = record && record.shards > 0 ? record.images / record.shards : 0;
  const queued = snapshot.counts.waiting + snapshot.counts.delayed;
  const activeLeft = workers.reduce((sum, row) => sum + Math.max(0, row.total - row.done), 0);
  const imagesLeft = Math.round(queued * perShard + activeLeft);
  return {
    queue: meta.queue,
    address: meta.address,
    record,
    counts: snapshot.counts,
    workers,
    imagesPerSecond,
    imagesLeft,
    etaSeconds: imagesLeft === 0 ? 0 : imagesPerSecond > 0 ? imagesLeft / imagesPerSecond : null,
    failures: snapshot.failed,
  };
}

export async function readClusterStatus(options: OpenQueueOptions): Promise<ClusterStatus> {
  const queue = await ClusterQueue.open(options);
  try {
    const [snapshot, record] = await Promise.all([queue.snapshot(), queue.readRecord()]);
    return buildStatus(snapshot, record, {
      queue: queue.name,
      address: options.address.display,
      now: Date.now(),
    });
  } finally {
    await queue.close();
  }
}

export async function retryFailedShards(options: OpenQueueOptions): Promise<number> {
  const queue = await ClusterQueue.open(options);
  try {
    return await queue.retryFailed();
  } finally {
    await queue.close();
  }
}
