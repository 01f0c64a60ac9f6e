/**
 * Turns a processor's progress calls into job progress writes: at most one per interval (a stage change goes out
 * at once), one write in flight at a time, the latest value wins. Redis load stays one small write per active
 * shard per interval however fast the processor reports, and a Redis outage queues at most one write.
 */
import {hostname} from 'node:os';
import type {ShardJobProgress, ShardProgress} from './types.js';

export interface ProgressPublisherOptions {
  shard: string;
  worker: string;
  total: number;
  intervalMs: number;
  write(progress: ShardJobProgress): Promise<void>;
  onPublish?(progress: ShardJobProgress): void;
  now?(): number;
}

export class ProgressPublisher {
  private readonly now: () => number;
  private readonly startedAt: number;
  private latest: ShardProgress;
  private lastStage: string | undefined;
  private lastWrite = -Infinity;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private dirty = false;
  private stopped = false;

  constructor(private readonly options: ProgressPublisherOptions) {
    this.now = options.now ?? Date.now;
    this.startedAt = this.now();
    this.latest = {stage: 'starting', done: 0, total: options.total, failed: 0};
    this.update(this.latest);
  }

  update(progress: ShardProgress): void {
    if (this.stopped) return;
    this.latest = progress;
    this.dirty = true;
    const due = this.lastWrite + this.options.intervalMs - this.now();
    if (progress.stage !== this.lastStage || due <= 0) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), due);
  }

  /** Publishes the latest progress (unless it went out already) and waits until it is written. */
  async finish(): Promise<void> {
    for (;;) {
      if (!this.inFlight) {
        if (!this.dirty) return;
        this.flush();
      }
      await this.inFlight;
    }
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The progress as it would be written now. */
  snapshot(): ShardJobProgress {
    const now = this.now();
    const seconds = (now - this.startedAt) / 1000;
    const peakRss = process.resourceUsage().maxRSS * 1024;
    return {
      ...this.latest,
      shard: this.options.shard,
      worker: this.options.worker,
      host: hostname(),
      pid: process.pid,
      imagesPerSecond: seconds > 0 ? this.latest.done / seconds : 0,
      rssBytes: process.memoryUsage.rss(),
      peakRssBytes: peakRss,
      startedAt: this.startedAt,
      updatedAt: now,
    };
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.dirty || this.inFlight) return;
    this.dirty = false;
    const progress = this.snapshot();
    this.lastStage = progress.stage;
    this.lastWrite = progress.updatedAt;
    this.options.onPublish?.(progress);
    // A failed progress write is not worth failing the shard for: the next one or the result will say more.
    this.inFlight = this.options
      .write(progress)
      .catch(() => undefined)
      .finally(() => {
        this.inFlight = undefined;
        if (this.dirty && !this.stopped) this.update(this.latest);
      });
  }
}
