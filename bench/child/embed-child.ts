/**
 * Contender 2: `embed` end to end (walk, read, hash, decode, preprocess, infer, write the outputs) through the
 * engine the CLI calls, in its own process so the peak RSS is its own. Also returns where the time went.
 */
import {mkdir, rm, symlink} from 'node:fs/promises';
import {basename, join} from 'node:path';
import type {EmbedEvent} from '../../source/core/embed/embed-events.js';
import {embedImages} from '../../source/core/embed/embed-images.js';
import type {SessionTuning} from '../../source/core/runtime/inference-client.js';
import {childMain, peakRssMb} from '../child-process.js';
import {modelIdleSeconds} from '../embed-cli.js';

export interface EmbedChildInput {
  modelDir: string;
  dtype: 'fp32' | 'q8';
  /** Either a list of images (linked into a fresh input folder) or a folder to embed as it is. */
  images?: string[];
  imagesDir?: string;
  batchSize: number;
  threads: number;
  /** Inference sessions (undefined: embed's default for the dtype). */
  sessions?: number;
  decode?: 'exact' | 'fast';
  embeddingsDir: string;
  /** Experiments only (the contender runs without): libvips' operation cache and thread count. */
  tweaks?: {
    sharpCache?: boolean;
    sharpConcurrency?: number;
    preprocessWorkers?: number;
    readAhead?: boolean;
    tuning?: SessionTuning;
  };
}

export interface EmbedProfile {
  /** Inference sessions (worker threads) that shared the threads. */
  sessions: number;
  /** Sum of the workers' session.run times: the model busy (summed over sessions). */
  inferenceSeconds: number;
  /** Main-thread time spent reading, hashing, decoding and preprocessing (overlaps inference). */
  preprocessSeconds: number;
  /** Time from the model being loaded to the end minus each session's inference: a session waiting, on average. */
  modelIdleSeconds: number;
  writeSeconds: number;
  batches: number;
  /** What decoded the JPEGs (metadata's versions.jpeg_decoder), where the run says. */
  jpegDecoder?: string;
  /** The process's CPU per image from the first batch to the last (metadata's cpu_split). */
  cpuMsPerImage?: number;
  /** Preprocessing workers: at the start, at most, at the end (the adaptive split). */
  workers?: {initial: number; most: number; final: number};
}

export interface EmbedChildResult {
  images: number;
  failed: number;
  seconds: number;
  imagesPerSecond: number;
  loadMs: number;
  peakRssMb: number;
  /** Largest RSS seen in the engine's own memory events. */
  sampledRssMb: number;
  profile: EmbedProfile;
}

await childMain<EmbedChildInput, EmbedChildResult>(async (input) => {
  if (input.tweaks) {
    const {default: sharp} = await import('sharp');
    if (input.tweaks.sharpCache === false) sharp.cache(false);
    if (input.tweaks.sharpConcurrency !== undefined) sharp.concurrency(input.tweaks.sharpConcurrency);
  }
  const imagesDir = input.imagesDir ?? join(input.embeddingsDir, 'input');
  if (!input.imagesDir) {
    await rm(imagesDir, {recursive: true, force: true});
    await mkdir(imagesDir, {recursive: true});
    await Promise.all(
      (input.images ?? []).map((path, index) =>
        symlink(path, join(imagesDir, `${String(index).padStart(5, '0')}-${basename(path)}`)),
      ),
    );
  }
  let loadedAt = 0;
  let batches = 0;
  let sampledRss = 0;
  const report = await embedImages({
    imagesDir,
    embeddingsDir: join(input.embeddingsDir, 'out'),
    model: input.modelDir,
    modelsDir: input.modelDir,
    dtype: input.dtype,
    device: 'cpu',
    batchSize: input.batchSize,
    threads: input.threads,
    ...(input.sessions ? {sessions: input.sessions} : {}),
    ...(input.decode ? {decode: input.decode} : {}),
    ...(input.tweaks?.preprocessWorkers !== undefined
      ? {preprocessWorkers: input.tweaks.preprocessWorkers}
      : {}),
    ...(input.tweaks?.tuning ? {tuning: input.tweaks.tuning} : {}),
    ...(input.tweaks?.readAhead !== undefined ? {readAhead: input.tweaks.readAhead} : {}),
    onEvent(event: EmbedEvent) {
      if (event.type === 'model-loaded') loadedAt = performance.now();
      if (event.type === 'batch') batches++;
      if (event.type === 'memory') sampledRss = Math.max(sampledRss, event.rss);
    },
  });
  const seconds = (performance.now() - loadedAt) / 1000;
  const {counts, timings_seconds: timings} = report.metadata;
  return {
    images: counts.ok,
    failed: counts.failed,
    seconds,
    imagesPerSecond: counts.ok / seconds,
    loadMs: timings.load * 1000,
    peakRssMb: peakRssMb(),
    sampledRssMb: sampledRss / 2 ** 20,
    profile: {
      sessions: report.metadata.inference_sessions,
      inferenceSeconds: timings.inference,
      preprocessSeconds: timings.preprocess,
      modelIdleSeconds: modelIdleSeconds(seconds, timings.inference, report.metadata.inference_sessions),
      writeSeconds: timings.write,
      batches,
      cpuMsPerImage: (report.metadata.cpu_split.cpu_seconds * 1000) / Math.max(1, counts.ok),
      workers: {
        initial: report.metadata.cpu_split.workers_initial,
        most: report.metadata.cpu_split.workers_most,
        final: report.metadata.cpu_split.workers_final,
      },
    },
  };
});
