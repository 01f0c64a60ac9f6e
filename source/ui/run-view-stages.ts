/**
 * How the download and embed stages' own events change the run view. reduceRunView (run-view-state.ts) routes
 * each stage's events here: the view's shape and the routing then read on one page, the per-event detail on this.
 */
import {idleWorkerStatus} from '../core/download/worker-reporter.js';
import type {RunEvent} from '../core/run/run-pipeline.js';
import type {DownloadView, EmbedView, RunViewState, WorkerRow} from './run-view-types.js';

const emptyDownload: DownloadView = {
  requested: 0,
  alreadyPresent: 0,
  toDownload: 0,
  kept: 0,
  failed: 0,
  failedByReason: {},
  duplicates: 0,
  bytes: 0,
  imagesPerSecond: 0,
  etaSeconds: null,
};

export const emptyEmbed: EmbedView = {
  model: null,
  dtype: null,
  device: null,
  total: null,
  done: 0,
  ok: 0,
  failed: 0,
  cacheHits: 0,
  batchMs: null,
  imagesPerSecond: 0,
  averageImagesPerSecond: 0,
  etaSeconds: null,
  committedRows: 0,
  writing: false,
};

const RECENT_FAILURES = 3;

function eta(remaining: number, perSecond: number): number | null {
  if (remaining <= 0) return 0;
  return perSecond > 0 ? remaining / perSecond : null;
}

function pushFailure(list: string[], line: string): string[] {
  return [...list, line].slice(-RECENT_FAILURES);
}

export function reduceDownload(
  state: RunViewState,
  event: Extract<RunEvent, {type: 'download'}>['event'],
): RunViewState {
  switch (event.type) {
    case 'start': {
      const workers: WorkerRow[] = Array.from({length: event.workers}, (_, worker) => {
        const {waitMs: _waitMs, ...row} = idleWorkerStatus(worker);
        return row;
      });
      return {
        ...state,
        workers,
        download: {
          ...emptyDownload,
          requested: event.requested,
          alreadyPresent: event.alreadyPresent,
          toDownload: event.toDownload,
          etaSeconds: event.toDownload === 0 ? 0 : null,
        },
      };
    }
    case 'worker': {
      const row: WorkerRow = {
        worker: event.worker,
        state: event.state,
        url: event.url,
        bytesReceived: event.bytesReceived,
        bytesTotal: event.bytesTotal,
        speed: event.speed,
        attempt: event.attempt,
      };
      const others = state.workers.filter((entry) => entry.worker !== event.worker);
      return {...state, workers: [...others, row].sort((a, b) => a.worker - b.worker)};
    }
    case 'totals': {
      const totals = event.totals;
      return {
        ...state,
        download: {
          requested: totals.requested,
          alreadyPresent: totals.alreadyPresent,
          toDownload: totals.toDownload,
          kept: totals.kept,
          failed: totals.failed,
          failedByReason: totals.failedByReason,
          duplicates: totals.duplicates,
          bytes: totals.bytes,
          imagesPerSecond: totals.imagesPerSecond,
          etaSeconds: eta(totals.toDownload - totals.kept, totals.imagesPerSecond),
        },
      };
    }
    case 'failed':
      return {...state, recentFailures: pushFailure(state.recentFailures, `${event.reason}: ${event.url}`)};
    case 'done': {
      const report = event.report;
      const download = state.download ?? emptyDownload;
      return {
        ...state,
        workers: state.workers.map((row) => ({...row, state: 'done', speed: 0})),
        download: {
          ...download,
          requested: report.requested,
          alreadyPresent: report.alreadyPresent,
          kept: report.kept,
          failed: report.failed,
          failedByReason: report.failedByReason,
          duplicates: report.duplicates,
          bytes: report.bytes,
          etaSeconds: 0,
        },
      };
    }
    default:
      return state;
  }
}

export function reduceEmbed(
  state: RunViewState,
  event: Extract<RunEvent, {type: 'embed'}>['event'],
): RunViewState {
  const embed = state.embed ?? emptyEmbed;
  switch (event.type) {
    case 'model-loaded':
      return {...state, embed: {...embed, model: event.model, dtype: event.dtype, device: event.device}};
    case 'scanned':
      return {...state, embed: {...embed, total: event.total, etaSeconds: event.total === 0 ? 0 : null}};
    case 'batch':
      return {
        ...state,
        embed: {
          ...embed,
          total: event.total,
          done: event.done,
          ok: event.ok,
          failed: event.failed,
          cacheHits: event.cacheHits,
          batchMs: event.batchMs,
          imagesPerSecond: event.imagesPerSecond,
          averageImagesPerSecond: event.averageImagesPerSecond,
          etaSeconds: eta(event.total - event.done, event.averageImagesPerSecond),
        },
      };
    case 'failure':
      return {...state, recentFailures: pushFailure(state.recentFailures, `${event.reason}: ${event.file}`)};
    case 'memory':
      return {
        ...state,
        memory: {
          rss: event.rss,
          heapUsed: event.heapUsed,
          external: event.external,
          arrayBuffers: event.arrayBuffers,
        },
      };
    case 'committed':
      return {...state, embed: {...embed, committedRows: event.total}};
    case 'writing':
      return {...state, embed: {...embed, writing: true}};
    case 'done':
      return {...state, embed: {...embed, writing: false, etaSeconds: 0}};
    default:
      return state;
  }
}
