/** The three contenders, each one child process per run, on the same images, threads and batch size. */
import {join} from 'node:path';
import type {BareInput, BareResult} from './child/bare-child.js';
import type {EmbedChildInput, EmbedChildResult} from './child/embed-child.js';
import type {TransformersInput, TransformersResult} from './child/transformers-child.js';
import {childScript, runChild} from './child-process.js';
import {linkInputFolder, runEmbedCli} from './embed-cli.js';
import type {PixelFidelity} from './fidelity.js';
import type {BenchDtype, ContenderName} from './options.js';

export interface ContenderContext {
  modelDir: string;
  images: string[];
  threads: number;
  /** embed's --sessions (undefined: its default). */
  embedSessions?: number;
  batchSize: number;
  timeoutMs: number;
  workDir: string;
  embedVia: 'cli' | 'engine';
  log?: (line: string) => void;
  /** Fixture images and golden pixels, for the transformers.js processor's fidelity. */
  fidelity?: {images: string[]; goldenPath: string};
}

export interface ContenderRun {
  contender: ContenderName;
  dtype: BenchDtype;
  images: number;
  /** Steady throughput: from the model being loaded to the last image done. */
  imagesPerSecond: number;
  seconds: number;
  loadMs: number;
  /** The whole child process, start-up and model load included. */
  wallSeconds: number;
  peakRssMb: number;
  fidelity?: PixelFidelity;
  profile?: EmbedChildResult['profile'];
  /** In-run CPU per image of each stage that the contender measures itself (transformers.js: every phase). */
  stageCpuMs?: Partial<Record<'read_decode' | 'resample_normalise' | 'inference' | 'total', number>>;
}

const GRAPH_FILE: Record<BenchDtype, string> = {fp32: 'vision_model.onnx', q8: 'vision_model_quantized.onnx'};

export async function runContender(
  contender: ContenderName,
  dtype: BenchDtype,
  context: ContenderContext,
  run: number,
): Promise<ContenderRun> {
  const common = {timeoutMs: context.timeoutMs, log: context.log};
  if (contender === 'bare') {
    const input: BareInput = {
      modelPath: join(context.modelDir, 'onnx', GRAPH_FILE[dtype]),
      images: context.images.length,
      batchSize: context.batchSize,
      threads: context.threads,
      warmupBatches: 1,
    };
    const {result, wallMs} = await runChild<BareResult>(childScript('bare-child'), input, common);
    const inference = result.cpuMsPerImage;
    return {
      contender,
      dtype,
      ...pick(result),
      wallSeconds: wallMs / 1000,
      stageCpuMs: {inference, total: inference},
    };
  }
  if (contender === 'transformers-js') {
    const input: TransformersInput = {
      modelDir: context.modelDir,
      dtype,
      images: context.images,
      batchSize: context.batchSize,
      threads: context.threads,
      ...(context.fidelity ? {fidelity: context.fidelity} : {}),
    };
    const {result, wallMs} = await runChild<TransformersResult>(
      childScript('transformers-child'),
      input,
      common,
    );
    return {
      contender,
      dtype,
      ...pick(result),
      wallSeconds: wallMs / 1000,
      stageCpuMs: result.stageCpuMs,
      ...(result.fidelity ? {fidelity: result.fidelity} : {}),
    };
  }
  const decode = contender === 'embed-fast' ? ('fast' as const) : undefined;
  if (context.embedVia === 'cli') {
    const outputDir = join(context.workDir, `${contender}-${dtype}-${run}`);
    const result = await runEmbedCli({
      modelDir: context.modelDir,
      dtype,
      imagesDir: await linkInputFolder(join(outputDir, 'input'), context.images),
      embeddingsDir: outputDir,
      batchSize: context.batchSize,
      threads: context.threads,
      sessions: context.embedSessions,
      decode,
      timeoutMs: context.timeoutMs,
    });
    return {contender, dtype, ...withTotal(result), wallSeconds: result.wallSeconds, profile: result.profile};
  }
  const input: EmbedChildInput = {
    modelDir: context.modelDir,
    dtype,
    images: context.images,
    batchSize: context.batchSize,
    threads: context.threads,
    ...(context.embedSessions ? {sessions: context.embedSessions} : {}),
    ...(decode ? {decode} : {}),
    embeddingsDir: join(context.workDir, `${contender}-${dtype}-${run}`),
  };
  const {result, wallMs} = await runChild<EmbedChildResult>(childScript('embed-child'), input, common);
  return {contender, dtype, ...withTotal(result), wallSeconds: wallMs / 1000, profile: result.profile};
}

/** embed's own in-run figure is its whole CPU per image (its stages overlap on several threads). */
function withTotal(result: EmbedChildResult) {
  const total = result.profile.cpuMsPerImage;
  return {...pick(result), ...(total !== undefined ? {stageCpuMs: {total}} : {})};
}

function pick(result: {
  images: number;
  imagesPerSecond: number;
  seconds: number;
  loadMs: number;
  peakRssMb: number;
}) {
  return {
    images: result.images,
    imagesPerSecond: result.imagesPerSecond,
    seconds: result.seconds,
    loadMs: result.loadMs,
    peakRssMb: result.peakRssMb,
  };
}
