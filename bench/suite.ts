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
import {type ContenderContext, type ContenderRun, runContender} from './contenders.js';
import {type DownloadBenchResult, runDownloadBench} from './download-bench.js';
import {runEmbedCli} from './embed-cli.js';
import {fixtureImageOrder, type PixelFidelity} from './fidelity.js';
import {ensureImageSets, ensureLinkFolder, type ImageSetSpec} from './images.js';
import {ensureModelFolder} from './model-folder.js';
import type {BenchDtype, BenchOptions, ContenderName} from './options.js';
import {measureOurFidelity} from './our-fidelity.js';

const ROOT = resolve(new URL('..', import.meta.url).pathname);
export const FIXTURES = {
  graphs: resolve(ROOT, '../shared/fixtures/vit-b32-graphs'),
  tinyClip: join(ROOT, 'test/fixtures/tiny-clip'),
  golden: join(ROOT, 'test/fixtures/golden'),
  images: join(ROOT, 'test/fixtures/images'),
};

export const TARGETS = {
  embedVsCeiling: 0.95,
  embedVsTransformersJs: 1.15,
  rss10kMb: 600,
  downloadVsCurl: 0.8,
};

export interface ContenderSummary {
  images_per_second: number;
  rounds_images_per_second: number[];
  seconds: number;
  load_ms: number;
  wall_seconds: number;
  peak_rss_mb: number;
  ratio_to_ceiling?: number;
  /**
   * embed / bare within each round, and their median: the two run minutes apart in one round, so background load
   * hits them more alike than it hits their best rounds, which may come from different rounds.
   */
  ratio_to_ceiling_by_round?: number[];
  ratio_to_ceiling_median?: number;
  ratio_to_transformers_js?: number;
  profile?: EmbedChildResult['profile'];
}

export type ContenderOutcome = ContenderSummary | {error: string};

export interface TargetCheck {
  name: string;
  value: number | null;
  target: string;
  pass: boolean;
}

export interface BenchReport {
  schema: 1;
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
    images: Record<string, number>;
    batch_size: number;
    threads: number;
    rounds: number;
    embed_via: 'cli' | 'engine';
    embed_sessions: number | 'default';
    /** glibc malloc variables the contenders inherited (they change peak RSS; see USAGE_GUIDE's memory note). */
    malloc_env?: Record<string, string>;
  };
  results: Partial<Record<BenchDtype, Partial<Record<ContenderName, ContenderOutcome>>>>;
  fidelity: {
    embed: PixelFidelity | {error: string};
    'transformers-js': PixelFidelity | {error: string} | null;
  };
  preprocess: PreprocessChildResult | {error: string} | null;
  rss_10k:
    | {images: number; peak_rss_mb: number; images_per_second: number; pass: boolean}
    | {error: string}
    | null;
  /** Raw loopback first (the target's case), then with a server latency like a real host's. */
  download: (DownloadBenchResult | {error: string})[] | null;
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
  const [vga, large] = options.imageSizes;
  const sets: ImageSetSpec[] = [
    {name: 'vga', count: options.imageCounts[0], width: vga[0], height: vga[1]},
    {name: 'large', count: options.imageCounts[1], width: large[0], height: large[1]},
  ];
  log(`images: ${sets.map((set) => `${set.count} x ${set.width}x${set.height}`).join(', ')}`);
  const images = await ensureImageSets(join(options.cacheDir, 'images'), sets);
  const fixtures = await fixtureImageOrder(FIXTURES.golden, FIXTURES.images);
  const goldenPath = join(FIXTURES.golden, 'pixel_values.npy.gz');
  const workDir = options.workDir;
  await mkdir(workDir, {recursive: true});
  const context: ContenderContext = {
    modelDir,
    images,
    threads: options.threads,
    ...(options.embedSessions ? {embedSessions: options.embedSessions} : {}),
    batchSize: options.batchSize,
    timeoutMs: options.timeoutMs,
    workDir,
    embedVia: options.embedVia,
    log: (line) => log(`  | ${line}`),
  };
  try {
    const runs = await runInterleaved(options, context, {images: fixtures, goldenPath}, log);
    const results = summarise(options, runs);
    const transformersFidelity = runs.find((run) => 'fidelity' in run && run.fidelity !== undefined);
    const fidelity: BenchReport['fidelity'] = {
      embed: await measureOurFidelity(modelDir, fixtures, goldenPath).catch(errorOf),
      'transformers-js': options.contenders.includes('transformers-js')
        ? ((transformersFidelity && 'fidelity' in transformersFidelity
            ? transformersFidelity.fidelity
            : undefined) ?? {
            error: 'not measured',
          })
        : null,
    };
    const preprocess = await runChild<PreprocessChildResult>(
      childScript('preprocess-child'),
      {
        modelDir,
        sets: sets.map((set, index) => ({name: set.name, images: images.filter(inSet(set, index))})),
      },
      {timeoutMs: options.timeoutMs, log: context.log},
    ).then((run) => run.result, errorOf);
    const rss10k = options.rss10k ? await runRss10k(options, context, images, log) : null;
    const download = options.download ? await runDownloads(options, log) : null;
    return {
      schema: 1,
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
        images: Object.fromEntries(sets.map((set) => [`${set.width}x${set.height}`, set.count])),
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
      targets: checkTargets(results, rss10k, download),
    };
  } finally {
    await rm(workDir, {recursive: true, force: true});
  }

  function inSet(set: ImageSetSpec, index: number) {
    const offset = index === 0 ? 0 : (sets[0]?.count ?? 0);
    return (_: string, position: number) => position >= offset && position < offset + set.count;
  }
}

async function runInterleaved(
  options: BenchOptions,
  context: ContenderContext,
  fidelity: {images: string[]; goldenPath: string},
  log: (line: string) => void,
): Promise<(ContenderRun | {contender: ContenderName; dtype: BenchDtype; error: string})[]> {
  const pairs = options.dtypes.flatMap((dtype) =>
    options.contenders.map((contender) => ({dtype, contender})),
  );
  const runs: (ContenderRun | {contender: ContenderName; dtype: BenchDtype; error: string})[] = [];
  let fidelityWanted = true;
  for (let round = 0; round < options.rounds; round++) {
    // Rotate the order each round so no contender always runs first (or right after the heaviest).
    const order = pairs.map((_, index) => pairs[(index + round) % pairs.length]!);
    for (const {dtype, contender} of order) {
      const withFidelity = contender === 'transformers-js' && fidelityWanted;
      try {
        const run = await runContender(
          contender,
          dtype,
          withFidelity ? {...context, fidelity} : context,
          round,
        );
        if (withFidelity) fidelityWanted = false;
        runs.push(run);
        log(
          `round ${round + 1}/${options.rounds} ${dtype} ${contender}: ${run.imagesPerSecond.toFixed(2)} images/s, ` +
            `peak RSS ${run.peakRssMb.toFixed(0)} MB (load ${loadavg()[0]?.toFixed(2)})`,
        );
      } catch (error) {
        runs.push({contender, dtype, error: errorOf(error).error});
        log(`round ${round + 1}/${options.rounds} ${dtype} ${contender}: FAILED ${errorOf(error).error}`);
      }
    }
  }
  return runs;
}

function summarise(
  options: BenchOptions,
  runs: (ContenderRun | {contender: ContenderName; dtype: BenchDtype; error: string})[],
): BenchReport['results'] {
  const results: BenchReport['results'] = {};
  for (const dtype of options.dtypes) {
    const byContender: Partial<Record<ContenderName, ContenderOutcome>> = {};
    for (const contender of options.contenders) {
      const mine = runs.filter((run) => run.dtype === dtype && run.contender === contender);
      const ok = mine.filter((run): run is ContenderRun => !('error' in run));
      if (ok.length === 0) {
        const failed = mine.find((run) => 'error' in run);
        byContender[contender] = {error: failed && 'error' in failed ? failed.error : 'not run'};
        continue;
      }
      // Background load only ever slows a run down, so the fastest round is the best estimate.
      const best = ok.reduce((fastest, run) =>
        run.imagesPerSecond > fastest.imagesPerSecond ? run : fastest,
      );
      byContender[contender] = {
        images_per_second: round2(best.imagesPerSecond),
        rounds_images_per_second: ok.map((run) => round2(run.imagesPerSecond)),
        seconds: round2(best.seconds),
        load_ms: Math.round(best.loadMs),
        wall_seconds: round2(best.wallSeconds),
        peak_rss_mb: Math.round(Math.max(...ok.map((run) => run.peakRssMb))),
        ...(best.profile ? {profile: best.profile} : {}),
      };
    }
    const embed = byContender.embed;
    const bare = byContender.bare;
    const transformers = byContender['transformers-js'];
    if (embed && !('error' in embed)) {
      if (bare && !('error' in bare)) {
        embed.ratio_to_ceiling = round3(embed.images_per_second / bare.images_per_second);
        const byRound = ratiosByRound(embed.rounds_images_per_second, bare.rounds_images_per_second);
        if (byRound) {
          embed.ratio_to_ceiling_by_round = byRound;
          embed.ratio_to_ceiling_median = round3(median(byRound));
        }
      }
      if (transformers && !('error' in transformers)) {
        embed.ratio_to_transformers_js = round3(embed.images_per_second / transformers.images_per_second);
      }
    }
    results[dtype] = byContender;
  }
  return results;
}

/** Round by round, when both ran in every round (a failed round would pair the wrong runs). */
function ratiosByRound(mine: readonly number[], theirs: readonly number[]): number[] | undefined {
  if (mine.length === 0 || mine.length !== theirs.length) return undefined;
  return mine.map((value, round) => round3(value / (theirs[round] ?? Number.NaN)));
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? Number.NaN)
    : ((sorted[middle - 1] ?? Number.NaN) + (sorted[middle] ?? Number.NaN)) / 2;
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
            inputDir,
            outputDir,
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
                inputDir,
                batchSize: context.batchSize,
                threads: context.threads,
                outputDir,
              },
              {timeoutMs: options.timeoutMs, log: context.log},
            )
          ).result;
    return {
      images: result.images,
      peak_rss_mb: Math.round(result.peakRssMb),
      images_per_second: round2(result.imagesPerSecond),
      pass: result.peakRssMb < TARGETS.rss10kMb && result.images === count,
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
      {name: 'dl', count, width: options.imageSizes[0][0], height: options.imageSizes[0][1]},
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

function checkTargets(
  results: BenchReport['results'],
  rss10k: BenchReport['rss_10k'],
  download: BenchReport['download'],
): TargetCheck[] {
  const checks: TargetCheck[] = [];
  for (const [dtype, byContender] of Object.entries(results)) {
    const embed = byContender?.embed;
    if (!embed) continue;
    const ok = 'error' in embed ? undefined : embed;
    const ceiling = ok?.ratio_to_ceiling ?? null;
    const transformers = ok?.ratio_to_transformers_js ?? null;
    checks.push({
      name: `embed/bare ${dtype}`,
      value: ceiling,
      target: `>= ${TARGETS.embedVsCeiling}`,
      pass: ceiling !== null && ceiling >= TARGETS.embedVsCeiling,
    });
    checks.push({
      name: `embed/transformers.js ${dtype}`,
      value: transformers,
      target: `>= ${TARGETS.embedVsTransformersJs}`,
      pass: transformers !== null && transformers >= TARGETS.embedVsTransformersJs,
    });
  }
  if (rss10k) {
    const value = 'error' in rss10k ? null : rss10k.peak_rss_mb;
    checks.push({
      name: 'peak RSS fp32, 10k images (MB)',
      value,
      target: `< ${TARGETS.rss10kMb}`,
      pass: value !== null && !('error' in rss10k) && rss10k.pass,
    });
  }
  for (const run of download ?? []) {
    const value = 'error' in run ? null : run.ratio_to_curl;
    checks.push({
      name: `download/curl${'error' in run ? '' : `, server latency ${run.server_latency_ms} ms`}`,
      value: value === null ? null : round3(value),
      target: `>= ${TARGETS.downloadVsCurl}`,
      pass: value !== null && value >= TARGETS.downloadVsCurl,
    });
  }
  return checks;
}

export function errorOf(error: unknown): {error: string} {
  return {error: error instanceof Error ? error.message : String(error)};
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

function mallocEnv(): {malloc_env?: Record<string, string>} {
  const set = Object.entries(process.env).filter(
    (entry): entry is [string, string] => entry[0].startsWith('MALLOC_') && entry[1] !== undefined,
  );
  return set.length > 0 ? {malloc_env: Object.fromEntries(set)} : {};
}
