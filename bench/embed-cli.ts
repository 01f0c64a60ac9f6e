/**
 * Contender 2 as shipped: the built CLI (`dist/source/cli.js embed ... --json --no-cache`) in its own
 * process, with no transpiler loaded (tsx alone adds ~40 MB per thread). Peak RSS comes from a preloaded probe.
 */
import {spawn} from 'node:child_process';
import {existsSync} from 'node:fs';
import {chmod, mkdir, readFile, rm, symlink} from 'node:fs/promises';
import {basename, delimiter, dirname, join, resolve} from 'node:path';
import {batchLengths} from '../source/core/embed/batch-schedule.js';
import type {EmbedChildResult} from './child/embed-child.js';

const ROOT = resolve(new URL('..', import.meta.url).pathname);
export const CLI_PATH = join(ROOT, 'dist/source/cli.js');
const RSS_PROBE = new URL('./child/rss-probe.mjs', import.meta.url).href;

export function cliAvailable(): boolean {
  return existsSync(CLI_PATH);
}

interface CliMetadata {
  counts: {ok: number; failed: number};
  timings_seconds: {load: number; preprocess: number; inference: number; write: number; total: number};
  images_per_second: number;
  inference_sessions: number;
  versions?: {jpeg_decoder?: string};
  cpu_split?: {cpu_seconds: number; workers_initial: number; workers_final: number; workers_most: number};
}

/** The time each session waited, on average: its share of the summed inference time subtracted. */
export function modelIdleSeconds(seconds: number, inferenceSeconds: number, sessions: number): number {
  return Math.max(0, seconds - inferenceSeconds / Math.max(1, sessions));
}

export async function linkInputFolder(dir: string, images: readonly string[]): Promise<string> {
  await rm(dir, {recursive: true, force: true});
  await mkdir(dir, {recursive: true});
  await Promise.all(
    images.map((path, index) =>
      symlink(path, join(dir, `${String(index).padStart(5, '0')}-${basename(path)}`)),
    ),
  );
  return dir;
}

export async function runEmbedCli(input: {
  modelDir: string;
  dtype: 'fp32' | 'q8';
  imagesDir: string;
  embeddingsDir: string;
  batchSize: number;
  threads: number;
  /** embed's --sessions (undefined: its default). */
  sessions?: number | undefined;
  decode?: 'exact' | 'fast' | undefined;
  timeoutMs: number;
}): Promise<EmbedChildResult & {wallSeconds: number}> {
  await mkdir(input.embeddingsDir, {recursive: true});
  const rssFile = join(input.embeddingsDir, 'peak-rss-kib');
  const args = [
    'embed',
    '--images',
    input.imagesDir,
    '--embeddings',
    join(input.embeddingsDir, 'out'),
    '--model',
    input.modelDir,
    '--dtype',
    input.dtype,
    '--batch-size',
    String(input.batchSize),
    '--threads',
    String(input.threads),
    ...(input.sessions ? ['--sessions', String(input.sessions)] : []),
    ...(input.decode ? ['--decode', input.decode] : []),
    '--no-cache',
    '--json',
  ];
  // Executable, as npm makes an installed bin (npm run build does too; a dist/ built by bare tsc is 644).
  await chmod(CLI_PATH, 0o755);
  const started = performance.now();
  const {code, stdout, stderr} = await new Promise<{code: number | null; stdout: string; stderr: string}>(
    (resolvePromise, reject) => {
      // Executed through its shebang, as a user's shell runs it (the shebang sets the malloc tuning), with
      // this Node first on PATH and the RSS probe preloaded through NODE_OPTIONS.
      const child = spawn(CLI_PATH, args, {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          ...process.env,
          PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`,
          NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${RSS_PROBE}`.trim(),
          BENCH_RSS_FILE: rssFile,
        },
      });
      let out = '';
      let err = '';
      child.stdout.setEncoding('utf8').on('data', (text: string) => {
        out += text;
      });
      child.stderr.setEncoding('utf8').on('data', (text: string) => {
        err += text;
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), input.timeoutMs);
      child.on('error', reject);
      child.on('close', (exitCode) => {
        clearTimeout(timer);
        resolvePromise({code: exitCode, stdout: out, stderr: err});
      });
    },
  );
  const wallSeconds = (performance.now() - started) / 1000;
  if (code !== 0)
    throw new Error(`embed exited with ${code}: ${stderr.trim().split('\n').slice(-5).join('\n')}`);
  const metadata = JSON.parse(stdout) as CliMetadata;
  const timings = metadata.timings_seconds;
  const peakKib = Number(await readFile(rssFile, 'utf8'));
  // Steady throughput, as for the other contenders: everything after the model is loaded, writing included.
  const seconds = timings.total - timings.load;
  return {
    images: metadata.counts.ok,
    failed: metadata.counts.failed,
    seconds,
    imagesPerSecond: metadata.counts.ok / seconds,
    loadMs: timings.load * 1000,
    peakRssMb: peakKib / 1024,
    sampledRssMb: 0,
    profile: {
      sessions: metadata.inference_sessions,
      inferenceSeconds: timings.inference,
      preprocessSeconds: timings.preprocess,
      modelIdleSeconds: modelIdleSeconds(seconds, timings.inference, metadata.inference_sessions),
      writeSeconds: timings.write,
      batches: batchLengths(metadata.counts.ok, input.batchSize, metadata.inference_sessions).length,
      ...(metadata.versions?.jpeg_decoder ? {jpegDecoder: metadata.versions.jpeg_decoder} : {}),
      ...(metadata.cpu_split
        ? {
            cpuMsPerImage: (metadata.cpu_split.cpu_seconds * 1000) / Math.max(1, metadata.counts.ok),
            workers: {
              initial: metadata.cpu_split.workers_initial,
              most: metadata.cpu_split.workers_most,
              final: metadata.cpu_split.workers_final,
            },
          }
        : {}),
    },
    wallSeconds,
  };
}
