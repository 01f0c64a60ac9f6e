/**
 * One benchmark run: prepares the model folder and images, runs the contenders interleaved (so background load
 * hits all of them alike), then the optional 10,000-image memory run and the downloader benchmark.
 */
import {mkdir, rm} from 'node:fs/promises';
import {cpus, loadavg} from 'node:os';
import {join, resolve} from 'node:path';
import type {EmbedChildResult} from './child/embed-child.js';
import type {PreprocessChildResult} from './child/preprocess-child.js';
import {childScript, runChild} from './child-process.js';
import {type ContenderContext, runContender} from './contenders.js';
import {type DownloadBenchResult, runDownloadBench} from './download-bench.js';
import {runEmbedCli} from './embed-cli.js';
import {fixtureImageOrder, type PixelFidelity} from './fidelity.js';
import {ensureImageSets, ensureLinkFolder, ensureMix, type MixName} from './images.js';
import {ensureModelFolder} from './model-folder.js';
import type {BenchOptions} from './options.js';
import {measureOurFidelity} from './our-fidelity.js';
import {runStreamBench, type StreamBenchResult} from './stream-bench.js';
import {checkTargets, type Results, type RunOutcome, round2, summarise, type TargetCheck} from './summary.js';

export type {ContenderOutcome, ContenderSummary, MixResult} from './summary.js';
export {TARGETS} from './summary.js';

const ROOT = resolve(new URL('..', import.meta.url).pathname);
export const FIXTURES = {
  graphs: resolve(ROOT, '../shared/fixtures/vit-b32-graphs'),
  tinyClip: join(ROOT, 'test/fixtures/tiny-clip'),
  golden: join(ROOT, 'test/fixtures/golden'),
  images: join(ROOT, 'test/fixtures/images'),
};

export interface BenchReport {
  /** 2: results per dtype and image mix (1: one combined mix per dtype, before 2026-12). */
  schema: 2;
  date: string;
  quick: boolean;
  host: {
    cpus: number;
    cpu_model: string;
    node: string;
    load_average_start: number[];
    load_average_end: number[];
  };
  config: {
    model: string;
    /** Per mix: image size to count. */
    mixes: Record<string, Record<string, number>>;
    batch_size: number;
    threads: number;
    rounds: number;
    embed_via: 'cli' | 'engine';
    embed_sessions: number | 'default';
    /** glibc malloc variables the contenders inherited (they change peak RSS; see USAGE_GUIDE's memory note). */
    malloc_env?: Record<string, string>;
  };
  results: Results;
  fidelity: {
    embed: PixelFidelity | {error: string};
    'transformers-js': PixelFidelity | {error: string} | null;
  };
  preprocess: PreprocessChildResult | {error: string} | null;
  rss_10k: {images: number; peak_rss_mb: number; images_per_second: number} | {error: string} | null;
  /** Raw loopback first (reported), then with a server latency like a real host's (judged). */
  download: (DownloadBenchResult | {error: string})[] | null;
  /** The streaming run end to end: embed alone, download alone, run (absent before 2026-12-02). */
  stream?: StreamBenchResult | {error: string} | null;
  targets: TargetCheck[];
}

export async function runBench(options: BenchOptions, log: (line: string) => void): Promise<BenchReport> {
  const loadStart = loadavg();
  const modelDir = options.model
    ? resolve(options.model)
    : await ensureModelFolder({
        graphsDir: FIXTURES.graphs,
        templateDir: FIXTURES.tinyClip,
        outDir: join(options.cacheDir, 'models', 'vit-b32'),
        onProgress: log,
      });
  const mixImages = new Map<MixName, string[]>();
  for (const mix of options.mixes) {
    log(`mix ${mix.name}: ${mix.sets.map((set) => `${set.count} x ${set.width}x${set.height}`).join(' + ')}`);
    mixImages.set(mix.name, await ensureMix(join(options.cacheDir, 'images'), mix));
  }
  const fixtures = await fixtureImageOrder(FIXTURES.golden, FIXTURES.images);
  const goldenPath = join(FIXTURES.golden, 'pixel_values.npy.gz');
  const workDir = options.workDir;
  await mkdir(workDir, {recursive: true});
  const context: ContenderContext = {
    modelDir,
    images: [],
    threads: options.threads,
    ...(options.embedSessions ? {embedSessions: options.embedSessions} : {}),
    batchSize: options.batchSize,
    timeoutMs: options.timeoutMs,
    workDir,
    embedVia: options.embedVia,
    log: (line) => log(`  | ${line}`),
  };
  try {
    // Stage costs first, on an idle process: one thread, each mix's first images.
    const preprocess = await runChild<PreprocessChildResult>(
      childScript('preprocess-child'),
      {modelDir, sets: [...mixImages].map(([name, images]) => ({name, images}))},
      {timeoutMs: options.timeoutMs, log: context.log},
    ).then((run) => run.result, errorOf);
    const runs = await runInterleaved(options, context, mixImages, {images: fixtures, goldenPath}, log);
    const imagesPerMix = Object.fromEntries([...mixImages].map(([name, images]) => [name, images.length]));
    const results = summarise(
      options,
      runs,
      preprocess,
      imagesPerMix,
      Math.min(cpus().length, options.threads),
    );
    const transformersFidelity = runs.find((run) => 'fidelity' in run && run.fidelity !== undefined);
    const fidelity: BenchReport['fidelity'] = {
      embed: await measureOurFidelity(modelDir, fixtures, goldenPath).catch(errorOf),
      'transformers-js': options.contenders.includes('transformers-js')
        ? ((transformersFidelity && 'fidelity' in transformersFidelity
            ? transformersFidelity.fidelity
            : undefined) ?? {error: 'not measured'})
        : null,
    };
    const memoryImages = [...mixImages.values()].flat();
    const rss10k = options.rss10k ? await runRss10k(options, context, memoryImages, log) : null;
    const download = options.download ? await runDownloads(options, log) : null;
    const stream = options.stream ? await runStream(options, modelDir, workDir, log) : null;
    return {
      schema: 2,
      date: new Date().toISOString(),
      quick: options.quick,
      host: {
        cpus: cpus().length,
        cpu_model: cpus()[0]?.model ?? 'unknown',
        node: process.version,
        load_average_start: loadStart.map(round2),
        load_average_end: loadavg().map(round2),
      },
      config: {
        model: options.model ? modelDir : 'regenerated ViT-B/32 (bench/.cache/models/vit-b32)',
        mixes: Object.fromEntries(
          options.mixes.map((mix) => [
            mix.name,
            Object.fromEntries(mix.sets.map((set) => [`${set.width}x${set.height}`, set.count])),
          ]),
        ),
        batch_size: options.batchSize,
        threads: options.threads,
        embed_sessions: options.embedSessions ?? 'default',
        rounds: options.rounds,
        embed_via: options.embedVia,
        ...mallocEnv(),
      },
      results,
      fidelity,
      preprocess,
      rss_10k: rss10k,
      download,
      stream,
      targets: [...checkTargets(results, download), ...streamTarget(stream)],
    };
  } finally {
    await rm(workDir, {recursive: true, force: true});
  }
}

type Outcome = RunOutcome & {mix: MixName};

async function runInterleaved(
  options: BenchOptions,
  context: ContenderContext,
  mixImages: Map<MixName, string[]>,
  fidelity: {images: string[]; goldenPath: string},
  log: (line: string) => void,
): Promise<Outcome[]> {
  const triples = options.dtypes.flatMap((dtype) =>
    options.mixes.flatMap((mix) =>
      options.contenders.map((contender) => ({dtype, mix: mix.name, contender})),
    ),
  );
  const runs: Outcome[] = [];
  let fidelityWanted = true;
  for (let round = 0; round < options.rounds; round++) {
    // Rotate the order each round so no contender always runs first (or right after the heaviest).
    const order = triples.map((_, index) => triples[(index + round) % triples.length]!);
    for (const {dtype, mix, contender} of order) {
      const withFidelity = contender === 'transformers-js' && fidelityWanted;
      const mixContext = {...context, images: mixImages.get(mix) ?? []};
      const label = `round ${round + 1}/${options.rounds} ${dtype} ${mix} ${contender}`;
      try {
        const run = await runContender(
          contender,
          dtype,
          withFidelity ? {...mixContext, fidelity} : mixContext,
          round,
        );
        if (withFidelity) fidelityWanted = false;
        runs.push({...run, mix});
        log(
          `${label}: ${run.imagesPerSecond.toFixed(2)} images/s, peak RSS ${run.peakRssMb.toFixed(0)} MB` +
            ` (load ${loadavg()[0]?.toFixed(2)})`,
        );
      } catch (error) {
        runs.push({contender, dtype, mix, error: errorOf(error).error});
        log(`${label}: FAILED ${errorOf(error).error}`);
      }
    }
  }
  return runs;
}

async function runRss10k(
  options: BenchOptions,
  context: ContenderContext,
  images: string[],
  log: (line: string) => void,
): Promise<BenchReport['rss_10k']> {
  const count = options.rssImages;
  const inputDir = await ensureLinkFolder(join(options.cacheDir, 'sets', `links-${count}`), images, count);
  log(`memory run: embed fp32 over ${count} images`);
  try {
    const outputDir = join(context.workDir, 'rss-10k');
    const result =
      context.embedVia === 'cli'
        ? await runEmbedCli({
            modelDir: context.modelDir,
            dtype: 'fp32',
            imagesDir: inputDir,
            embeddingsDir: outputDir,
            batchSize: context.batchSize,
            threads: context.threads,
            timeoutMs: options.timeoutMs,
          })
        : (
            await runChild<EmbedChildResult>(
              childScript('embed-child'),
              {
                modelDir: context.modelDir,
                dtype: 'fp32',
                imagesDir: inputDir,
                batchSize: context.batchSize,
                threads: context.threads,
                embeddingsDir: outputDir,
              },
              {timeoutMs: options.timeoutMs, log: context.log},
            )
          ).result;
    return {
      images: result.images,
      peak_rss_mb: Math.round(result.peakRssMb),
      images_per_second: round2(result.imagesPerSecond),
    };
  } catch (error) {
    return errorOf(error);
  }
}

/** Server latencies: raw loopback (the hardest case for a client doing more per image) and a modest WAN-like one. */
export const DOWNLOAD_LATENCIES_MS = [0, 20];

async function runDownloads(
  options: BenchOptions,
  log: (line: string) => void,
): Promise<BenchReport['download']> {
  const count = options.downloadImages;
  const results: NonNullable<BenchReport['download']> = [];
  let images: string[];
  try {
    images = await ensureImageSets(join(options.cacheDir, 'download'), [
      {name: 'dl', count, width: options.downloadSize[0], height: options.downloadSize[1]},
    ]);
  } catch (error) {
    return [errorOf(error)];
  }
  for (const latencyMs of DOWNLOAD_LATENCIES_MS) {
    log(
      `downloader: ${count} images, ${options.downloadWorkers} workers, server latency ${latencyMs} ms, vs curl`,
    );
    const result = await runDownloadBench({
      images,
      workers: options.downloadWorkers,
      rounds: Math.max(2, options.rounds),
      latencyMs,
      timeoutMs: options.timeoutMs,
      log: (line) => log(`  | ${line}`),
    }).catch(errorOf);
    results.push(result);
  }
  return results;
}

/** Workers of the streaming run's download: enough round trips per worker for the latency to set its pace. */
const STREAM_WORKERS = 8;

async function runStream(
  options: BenchOptions,
  modelDir: string,
  workDir: string,
  log: (line: string) => void,
): Promise<StreamBenchResult | {error: string}> {
  try {
    const [width, height] = options.downloadSize;
    const images = await ensureImageSets(join(options.cacheDir, 'download'), [
      {name: `stream${options.streamImages}`, count: options.streamImages, width, height},
    ]);
    return await runStreamBench({
      modelDir,
      images,
      workers: STREAM_WORKERS,
      batchSize: options.batchSize,
      workDir,
      timeoutMs: options.timeoutMs,
      log: (line) => log(`  | ${line}`),
    });
  } catch (error) {
    return errorOf(error);
  }
}

function streamTarget(stream: BenchReport['stream']): TargetCheck[] {
  if (!stream) return [];
  const value = 'error' in stream ? null : stream.ratio;
  return [
    {
      name: 'streaming run / max(download alone, embed alone)',
      value,
      target: '<= 1.15',
      pass: value !== null && value <= 1.15,
    },
  ];
}

export function errorOf(error: unknown): {error: string} {
  return {error: error instanceof Error ? error.message : String(error)};
}

function mallocEnv(): {malloc_env?: Record<string, string>} {
  const set = Object.entries(process.env).filter(
    (entry): entry is [string, string] => entry[0].startsWith('MALLOC_') && entry[1] !== undefined,
  );
  return set.length > 0 ? {malloc_env: Object.fromEntries(set)} : {};
}
