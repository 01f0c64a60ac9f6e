/**
 * One worker's row for the dashboard: state changes are emitted at once, byte progress at most every
 * `intervalMs` so a fast download cannot flood the UI.
 */
import type {DownloadClock, DownloadEvent, WorkerState, WorkerStatus} from './types.js';

/** A worker's row before its first request (also the dashboard's row until the worker reports). */
export function idleWorkerStatus(worker: number): WorkerStatus {
  return {
    worker,
    state: 'idle',
    url: null,
    bytesReceived: 0,
    bytesTotal: null,
    speed: 0,
    attempt: 0,
    waitMs: 0,
  };
}

export class WorkerReporter {
  private readonly status: WorkerStatus;
  private lastProgressAt = Number.NEGATIVE_INFINITY;
  private bodyStartedAt = 0;

  constructor(
    readonly id: number,
    private readonly emit: (event: DownloadEvent) => void,
    private readonly clock: Pick<DownloadClock, 'now'>,
    private readonly intervalMs: number,
  ) {
    this.status = idleWorkerStatus(id);
  }

  begin(url: string, attempt: number): void {
    Object.assign(this.status, {url, attempt, bytesReceived: 0, bytesTotal: null, speed: 0});
    this.set('connecting');
  }

  set(state: WorkerState, waitMs = 0): void {
    this.status.state = state;
    this.status.waitMs = waitMs;
    if (state === 'idle' || state === 'done') {
      Object.assign(this.status, {url: null, bytesReceived: 0, bytesTotal: null, speed: 0, attempt: 0});
    }
    this.send();
  }

  progress(received: number, total: number | null): void {
    const now = this.clock.now();
    if (this.status.state !== 'receiving') {
      this.bodyStartedAt = now;
      this.status.state = 'receiving';
      this.status.waitMs = 0;
      this.lastProgressAt = Number.NEGATIVE_INFINITY;
    }
    this.status.bytesReceived = received;
    this.status.bytesTotal = total;
    const seconds = (now - this.bodyStartedAt) / 1000;
    this.status.speed = seconds > 0 ? received / seconds : 0;
    if (now - this.lastProgressAt >= this.intervalMs || (total !== null && received >= total)) this.send(now);
  }

  private send(now = this.clock.now()): void {
    this.lastProgressAt = now;
    this.emit({type: 'worker', ...this.status});
  }
}
