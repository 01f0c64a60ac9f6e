/**
 * `node --import tsx bench/many-core.ts [--threads N] [--dtype fp32,q8] [--rounds N] [--set defaults|spin|batch] [--only TEXT,...]
 * [--out FILE]`: embed's
 * thread defaults on a machine with many cores. Runs the bare session (batch 8 and 32) and `embed` through the
 * engine with its defaults and with other splits of the cores (inference threads, sessions, preprocessing
 * workers), interleaved, each in its own process; prints one JSON line per run. A tuning aid, like overlap.ts:
 * its numbers go in docs/performance.md by hand.
 */
import {writeFile} from 'node:fs/promises';
import {availableParallelism, cpus} from 'node:os';
import {join} from 'node:path';
import type {BareInput, BareResult} from './child/bare-child.js';
import type {EmbedChildInput, EmbedChildResult} from './child/embed-child.js';
import {childScript, runChild} from './child-process.js';
import {ensureImageSets, FULL_IMAGE_SETS} from './images.js';
import {ensureModelFolder} from './model-folder.js';
import {FIXTURES} from './suite.js';

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const threads = Number(option('--threads') ?? availableParallelism());
const rounds = Number(option('--rounds') ?? 2);
const dtypes = (option('--dtype') ?? 'fp32,q8').split(',') as ('fp32' | 'q8')[];
const cache = new URL('./.cache/', import.meta.url).pathname;
const log = (line: string) => process.stderr.write(`${line}\n`);

const modelDir = await ensureModelFolder({
  graphsDir: option('--graphs') ?? FIXTURES.graphs,
  templateDir: FIXTURES.tinyClip,
  outDir: join(cache, 'models', 'vit-b32'),
  onProgress: log,
});
const images = await ensureImageSets(join(cache, 'images'), FULL_IMAGE_SETS);

type Variant =
  | {name: string; kind: 'bare'; batchSize: number; threads?: number; spin?: boolean}
  | {
      name: string;
      kind: 'embed';
      threads: number;
      sessions?: number;
      workers?: number;
      batchSize: number;
      spin?: boolean;
    };

const spare = Math.max(1, threads - 2);
const most = Math.max(1, threads - Math.ceil(threads / 4));
const quarter = Math.max(1, Math.floor(threads / 4));
/** `--set defaults`: embed's defaults against other splits of the cores. `--set spin`: idle threads spinning. */
const sets: Record<string, (dtype: 'fp32' | 'q8') => Variant[]> = {
  defaults: (dtype) => [
    {name: `bare ${threads}t b8`, kind: 'bare', batchSize: 8},
    {name: `bare ${threads}t b32`, kind: 'bare', batchSize: 32},
    {name: `embed default (${threads}t)`, kind: 'embed', threads, batchSize: 8},
    {name: `embed ${threads}t 2w`, kind: 'embed', threads, workers: 2, batchSize: 8},
    {name: `embed ${threads}t 4w`, kind: 'embed', threads, workers: 4, batchSize: 8},
    {name: `embed ${spare}t 2w`, kind: 'embed', threads: spare, workers: 2, batchSize: 8},
    {name: `embed ${threads}t 2w b32`, kind: 'embed', threads, workers: 2, batchSize: 32},
    ...(dtype === 'fp32'
      ? [
          {
            name: `embed ${threads}t 2s 2w`,
            kind: 'embed' as const,
            threads,
            sessions: 2,
            workers: 2,
            batchSize: 8,
          },
        ]
      : [
          {
            name: `embed ${threads}t 1s 2w`,
            kind: 'embed' as const,
            threads,
            sessions: 1,
            workers: 2,
            batchSize: 8,
          },
          {
            name: `embed ${threads}t 4s 2w`,
            kind: 'embed' as const,
            threads,
            sessions: 4,
            workers: 2,
            batchSize: 8,
          },
        ]),
  ],
  spin: () => [
    {name: `bare ${threads}t spin`, kind: 'bare', batchSize: 8},
    {name: `bare ${threads}t no-spin`, kind: 'bare', batchSize: 8, spin: false},
    {name: `bare ${most}t spin`, kind: 'bare', batchSize: 8, threads: most},
    {name: `embed ${threads}t ${quarter}w no-spin`, kind: 'embed', threads, workers: quarter, batchSize: 8},
    {
      name: `embed ${threads}t ${quarter}w spin`,
      kind: 'embed',
      threads,
      workers: quarter,
      batchSize: 8,
      spin: true,
    },
    {
      name: `embed ${most}t ${quarter}w spin`,
      kind: 'embed',
      threads: most,
      workers: quarter,
      batchSize: 8,
      spin: true,
    },
    {
      name: `embed ${most}t ${quarter}w no-spin`,
      kind: 'embed',
      threads: most,
      workers: quarter,
      batchSize: 8,
    },
    {name: `embed ${spare}t 2w spin`, kind: 'embed', threads: spare, workers: 2, batchSize: 8, spin: true},
  ],
  /** `--set batch`: embed's default split of the cores at larger batches. */
  batch: () => [
    {name: `bare ${threads}t b8`, kind: 'bare', batchSize: 8},
    {name: `bare ${threads}t b32`, kind: 'bare', batchSize: 32},
    {name: `embed default (${threads}t) b8`, kind: 'embed', threads, batchSize: 8},
    {name: `embed default (${threads}t) b16`, kind: 'embed', threads, batchSize: 16},
    {name: `embed default (${threads}t) b32`, kind: 'embed', threads, batchSize: 32},
  ],
};
const variants = sets[option('--set') ?? 'defaults'] ?? sets.defaults!;

const graphOf = {fp32: 'vision_model.onnx', q8: 'vision_model_quantized.onnx'};
const timeoutMs = 10 * 60_000;
const lines: unknown[] = [];
log(`${cpus()[0]?.model ?? 'cpu'} x ${availableParallelism()}; ${images.length} images; threads ${threads}`);
for (let round = 0; round < rounds; round++) {
  for (const dtype of dtypes) {
    const only = option('--only')?.split(',');
    const list = variants(dtype).filter(
      (variant) => !only || only.some((part) => variant.name.includes(part)),
    );
    // Rotate the order each round so a slow phase of the machine does not always hit the same variant.
    const order = list.map((_, index) => list[(index + round) % list.length] as Variant);
    for (const variant of order) {
      const line = await measure(dtype, variant, round).catch((error: unknown) => ({
        dtype,
        variant: variant.name,
        round,
        error: error instanceof Error ? error.message.slice(0, 500) : String(error),
      }));
      lines.push(line);
      process.stdout.write(`${JSON.stringify(line)}\n`);
    }
  }
}
const out = option('--out');
if (out) await writeFile(out, `${JSON.stringify(lines, null, 1)}\n`);

async function measure(dtype: 'fp32' | 'q8', variant: Variant, round: number) {
  const line = (result: {imagesPerSecond: number; peakRssMb: number}) => ({
    dtype,
    variant: variant.name,
    round,
    images_per_second: round2(result.imagesPerSecond),
    peak_rss_mb: Math.round(result.peakRssMb),
  });
  if (variant.kind === 'bare') {
    const input: BareInput = {
      modelPath: join(modelDir, 'onnx', graphOf[dtype]),
      images: images.length,
      batchSize: variant.batchSize,
      threads: variant.threads ?? threads,
      warmupBatches: 1,
      ...(variant.spin !== undefined ? {allowSpinning: variant.spin} : {}),
    };
    const {result} = await runChild<BareResult>(childScript('bare-child'), input, {timeoutMs});
    return line(result);
  }
  const input: EmbedChildInput = {
    modelDir,
    dtype,
    images,
    batchSize: variant.batchSize,
    threads: variant.threads,
    ...(variant.sessions ? {sessions: variant.sessions} : {}),
    embeddingsDir: join(cache, 'many-core', `${dtype}-${round}`),
    tweaks: {
      ...(variant.workers ? {preprocessWorkers: variant.workers} : {}),
      ...(variant.spin !== undefined ? {tuning: {allowSpinning: variant.spin}} : {}),
    },
  };
  const {result} = await runChild<EmbedChildResult>(childScript('embed-child'), input, {timeoutMs});
  return {
    ...line(result),
    sessions: result.profile.sessions,
    model_idle_seconds: round2(result.profile.modelIdleSeconds),
    seconds: round2(result.seconds),
  };
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
