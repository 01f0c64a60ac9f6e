/**
 * The streaming run end to end (issue 24): the built CLI's `embed` of N images alone, then `download` of the same
 * images alone from a local server whose latency is set so the download takes about as long as the embed, then
 * `run` doing both at once. A run that overlaps the two stages takes about max(download, embed), one that does
 * them in turn their sum: the ratio run / max(download, embed) is the figure (target <= 1.15). Wall times of
 * whole processes (start-up and model load included), as a user would time them.
 */
import {spawn} from 'node:child_process';
import {readFile, rm, writeFile} from 'node:fs/promises';
import {join} from 'node:path';
import {CLI_PATH, linkInputFolder} from './embed-cli.js';
import {startImageServer} from './image-server.js';

export interface StreamBenchResult {
  images: number;
  workers: number;
  batch_size: number;
  /** Per response, chosen from the embed's time so the download alone takes about as long. */
  server_latency_ms: number;
  download_seconds: number;
  embed_seconds: number;
  run_seconds: number;
  /** run / max(download, embed): 1 is perfect overlap, about 2 is one stage after the other. */
  ratio: number;
}

export interface StreamBenchInput {
  modelDir: string;
  /** Distinct JPEG files (the downloader keeps each once). */
  images: readonly string[];
  workers: number;
  batchSize: number;
  workDir: string;
  timeoutMs: number;
  log: (line: string) => void;
}

async function timedCli(args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<number> {
  const started = performance.now();
  const {code, stderr} = await new Promise<{code: number | null; stderr: string}>((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_PATH, ...args], {stdio: ['ignore', 'ignore', 'pipe'], env});
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      err += text;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (exitCode) => {
      clearTimeout(timer);
      resolve({code: exitCode, stderr: err});
    });
  });
  if (code !== 0)
    throw new Error(`${args[0]} exited with ${code}: ${stderr.trim().split('\n').slice(-5).join('\n')}`);
  return (performance.now() - started) / 1000;
}

export async function runStreamBench(input: StreamBenchInput): Promise<StreamBenchResult> {
  const {images, workers, workDir} = input;
  const count = images.length;
  const dir = join(workDir, 'stream');
  await rm(dir, {recursive: true, force: true});
  // A fresh cache for each run: the run must embed every image, not find it cached.
  const env = (name: string) => ({...process.env, VISUAL_CORTEX_CACHE: join(dir, `${name}.sqlite`)});
  const model = ['--model', input.modelDir, '--dtype', 'fp32', '--batch-size', String(input.batchSize)];

  const inputDir = await linkInputFolder(join(dir, 'embed-input'), images);
  input.log(`streaming run: embed alone, ${count} images`);
  const embedSeconds = await timedCli(
    ['embed', '--input', inputDir, '--output', join(dir, 'embed-out'), ...model, '--no-cache'],
    env('embed'),
    input.timeoutMs,
  );
  // Each worker fetches one image at a time: count / workers round trips of the latency make the download.
  const latencyMs = Math.max(1, Math.round((embedSeconds * 1000 * workers) / count));
  const server = await startImageServer(await Promise.all(images.map((path) => readFile(path))), latencyMs);
  try {
    const urls = join(dir, 'urls.txt');
    await writeFile(urls, `${server.urls.join('\n')}\n`);
    const source = [
      '--provider',
      'urls',
      '--urls',
      urls,
      '--count',
      String(count),
      '--workers',
      String(workers),
    ];
    input.log(`streaming run: download alone, server latency ${latencyMs} ms, ${workers} workers`);
    const downloadSeconds = await timedCli(
      ['download', ...source, '--output-dir', join(dir, 'download-out')],
      env('download'),
      input.timeoutMs,
    );
    input.log('streaming run: run (download and embed at once)');
    const runSeconds = await timedCli(
      [
        'run',
        ...source,
        ...['--output-dir', join(dir, 'run-images'), '--embeddings-dir', join(dir, 'run-out')],
        ...model,
      ],
      env('run'),
      input.timeoutMs,
    );
    const round3 = (value: number) => Math.round(value * 1000) / 1000;
    return {
      images: count,
      workers,
      batch_size: input.batchSize,
      server_latency_ms: latencyMs,
      download_seconds: round3(downloadSeconds),
      embed_seconds: round3(embedSeconds),
      run_seconds: round3(runSeconds),
      ratio: round3(runSeconds / Math.max(downloadSeconds, embedSeconds)),
    };
  } finally {
    await server.close();
    await rm(dir, {recursive: true, force: true});
  }
}
