/**
 * Download slots: items a worker has in hand plus saves not yet on disk. A worker starts a new item only while
 * kept + taken slots are under the count, so the run never keeps more images than asked for; when every missing
 * image has a worker on it, the others wait for a slot to come free (an item failed) or for the run to stop.
 */
import type {RunTotals} from './run-totals.js';

export class DownloadSlots {
  private taken = 0;
  private waiters: Array<() => void> = [];

  constructor(
    private readonly totals: RunTotals,
    private readonly toDownload: number,
  ) {}

  get allTaken(): boolean {
    return this.totals.kept + this.taken >= this.toDownload;
  }

  take(): void {
    this.taken++;
  }

  release(): void {
    this.taken--;
    this.wakeAll();
  }

  /** Settles at the next release or wakeAll. */
  changed(): Promise<void> {
    return new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  wakeAll(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
