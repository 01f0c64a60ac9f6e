/** The `download` side of the downloader benchmark: the engine `visual-cortex download` runs, timed in-process. */
import {downloadImages} from '../../source/core/download/download-images.js';
import {childMain, peakRssMb} from '../child-process.js';

export interface DownloadChildInput {
  urlsFile: string;
  imagesDir: string;
  count: number;
  workers: number;
}

export interface DownloadChildResult {
  images: number;
  seconds: number;
  imagesPerSecond: number;
  ok: number;
  failed: number;
  duplicates: number;
  peakRssMb: number;
  wallSeconds?: number;
}

await childMain<DownloadChildInput, DownloadChildResult>(async (input) => {
  const started = performance.now();
  const report = await downloadImages({
    provider: 'urls',
    urlsFile: input.urlsFile,
    imagesDir: input.imagesDir,
    count: input.count,
    workers: input.workers,
    sleepOkSeconds: 0,
    sleepFailSeconds: 0,
  });
  const seconds = (performance.now() - started) / 1000;
  return {
    images: report.kept,
    seconds,
    imagesPerSecond: report.kept / seconds,
    ok: report.kept,
    failed: report.failed,
    duplicates: report.duplicates,
    peakRssMb: peakRssMb(),
  };
});
