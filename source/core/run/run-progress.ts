/**
 * One progress figure and one ETA for a streaming run, from its two stages' own events; the plain printer, the
 * dashboard and `--json` all read it. The two stages overlap, so the run ends when the later of them does:
 *
 *   download ETA = (toDownload - kept) / download images/s          (0 once the download has ended)
 *   embed ETA    = (expected - embedded) / embedding images/s        (average since its first batch)
 *   run ETA      = max(download ETA, embed ETA)                      (unknown until each stage with work left has a rate)
 *
 * where expected = the folder's images not yet in the collection + the images the download keeps (toDownload
 * while it runs, what it kept once it has ended).
 */

import type {DownloadEvent} from '../download/types.js';
import type {EmbedEvent} from '../embed/embed-events.js';

export interface RunProgress {
  download: {kept: number; toDownload: number; imagesPerSecond: number; ended: boolean};
  embed: {
    /** Images through the embedder (embedded, from the cache, or failed). */
    done: number;
    expected: number;
    imagesPerSecond: number;
    /** Rows in the shards this run committed. */
    committedRows: number;
  };
  etaSeconds: number | null;
}

function stageEta(remaining: number, perSecond: number): number | null {
  if (remaining <= 0) return 0;
  return perSecond > 0 ? remaining / perSecond : null;
}

export function runEta(progress: Omit<RunProgress, 'etaSeconds'>): number | null {
  const {download, embed} = progress;
  const downloadEta = download.ended
    ? 0
    : stageEta(download.toDownload - download.kept, download.imagesPerSecond);
  const embedEta = stageEta(embed.expected - embed.done, embed.imagesPerSecond);
  return downloadEta === null || embedEta === null ? null : Math.max(downloadEta, embedEta);
}

export class RunProgressTracker {
  private readonly download = {kept: 0, toDownload: 0, imagesPerSecond: 0, ended: false};
  private backlog = 0;
  private done = 0;
  private embedRate = 0;
  private committedRows = 0;

  /** Images the download will hand to the embedder in all, as known now. */
  incomingExpected(): number {
    const {kept, toDownload, ended} = this.download;
    return ended ? kept : Math.max(kept, toDownload);
  }

  /** Returns whether the figures changed. */
  onDownload(event: DownloadEvent): boolean {
    if (event.type === 'start') this.download.toDownload = event.toDownload;
    else if (event.type === 'totals') {
      this.download.kept = event.totals.kept;
      this.download.toDownload = event.totals.toDownload;
      this.download.imagesPerSecond = event.totals.imagesPerSecond;
    } else if (event.type === 'done') {
      this.download.kept = event.report.kept;
      this.download.ended = true;
    } else return false;
    return true;
  }

  downloadEnded(): void {
    this.download.ended = true;
  }

  onEmbed(event: EmbedEvent): boolean {
    if (event.type === 'synced') this.backlog = event.toEmbed;
    else if (event.type === 'batch') {
      this.done = event.done;
      this.embedRate = event.averageImagesPerSecond;
    } else if (event.type === 'committed') this.committedRows = event.total;
    else return false;
    return true;
  }

  snapshot(): RunProgress {
    const progress = {
      download: {...this.download},
      embed: {
        done: this.done,
        expected: Math.max(this.done, this.backlog + this.incomingExpected()),
        imagesPerSecond: this.embedRate,
        committedRows: this.committedRows,
      },
    };
    return {...progress, etaSeconds: runEta(progress)};
  }
}
