/**
 * Downloader benchmark: the same URL list on a local server, fetched by `download` (16 workers, validating and
 * hashing every image) and by `curl --parallel --parallel-max 16`. Both clients are child processes; each round
 * downloads into a fresh folder, and rounds alternate the clients so background load hits both alike.
 */
import {spawn} from 'node:child_process';
import {mkdir, mkdtemp, readdir, readFile, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import type {DownloadChildResult} from './child/download-child.js';
import {childScript, runChild} from './child-process.js';
import {startImageServer} from './image-server.js';

export interface DownloadBenchOptions {
  images: readonly string[];
  workers: number;
  rounds: number;
  /** Delay the server adds to each response. */
  latencyMs: number;
  timeoutMs: number;
  log?: (line: string) => void;
}

export interface ClientRun {
  images: number;
  seconds: number;
  imagesPerSecond: number;
}

export interface DownloadBenchResult {
  server_latency_ms: number;
  images: number;
  meanBytes: number;
  workers: number;
  curl: ClientRun & {version: string};
  /** Timed inside the child from the call to the end of the run (Node start-up excluded, as curl's is tiny). */
  download: DownloadChildResult | {error: string};
  ratio_to_curl: number | null;
}

export async function runDownloadBench(options: DownloadBenchOptions): Promise<DownloadBenchResult> {
  const bodies = await Promise.all(options.images.map((path) => readFile(path)));
  const server = await startImageServer(bodies, options.latencyMs);
  const work = await mkdtemp(join(tmpdir(), 'vc-bench-download-'));
  try {
    const urlsFile = join(work, 'urls.txt');
    await writeFile(urlsFile, `${server.urls.join('\n')}\n`);
    const curlRuns: ClientRun[] = [];
    const ourRuns: DownloadChildResult[] = [];
    let ourError: string | undefined;
    for (let round = 0; round < options.rounds; round++) {
      curlRuns.push(await runCurl(server.urls, join(work, `curl-${round}`), options.workers));
      if (ourError) continue;
      try {
        const run = await runChild<DownloadChildResult>(
          childScript('download-child'),
          {
            urlsFile,
            imagesDir: join(work, `ours-${round}`),
            count: server.urls.length,
            workers: options.workers,
          },
          {timeoutMs: options.timeoutMs, log: options.log},
        );
        ourRuns.push({...run.result, wallSeconds: run.wallMs / 1000});
      } catch (error) {
        ourError = error instanceof Error ? error.message : String(error);
      }
    }
    const curl = best(curlRuns);
    const ours = ourRuns.length > 0 ? best(ourRuns) : undefined;
    return {
      server_latency_ms: options.latencyMs,
      images: bodies.length,
      meanBytes: Math.round(bodies.reduce((sum, body) => sum + body.length, 0) / bodies.length),
      workers: options.workers,
      curl: {...curl, version: await curlVersion()},
      download: ours ?? {error: ourError ?? 'not run'},
      ratio_to_curl: ours ? ours.imagesPerSecond / curl.imagesPerSecond : null,
    };
  } finally {
    await server.close();
    await rm(work, {recursive: true, force: true});
  }
}

/** The fastest round: background load only ever slows a run down. */
function best<T extends ClientRun>(runs: T[]): T {
  return runs.reduce((fastest, run) => (run.imagesPerSecond > fastest.imagesPerSecond ? run : fastest));
}

async function runCurl(urls: readonly string[], outputDir: string, workers: number): Promise<ClientRun> {
  await mkdir(outputDir, {recursive: true});
  const config = urls.map((url, index) => `url = "${url}"\noutput = "${join(outputDir, `${index}.jpg`)}"\n`);
  const configFile = `${outputDir}.curlrc`;
  await writeFile(configFile, config.join(''));
  const started = performance.now();
  await runProcess('curl', [
    '--parallel',
    '--parallel-max',
    String(workers),
    '--silent',
    '--show-error',
    '--fail',
    '--config',
    configFile,
  ]);
  const seconds = (performance.now() - started) / 1000;
  const written = (await readdir(outputDir)).length;
  if (written !== urls.length) throw new Error(`curl wrote ${written} of ${urls.length} files`);
  return {images: urls.length, seconds, imagesPerSecond: urls.length / seconds};
}

async function curlVersion(): Promise<string> {
  const output = await runProcess('curl', ['--version']);
  return output.split('\n')[0]?.split(' ').slice(0, 2).join(' ') ?? 'curl';
}

function runProcess(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {stdio: ['ignore', 'pipe', 'pipe']});
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(stdout) : reject(new Error(`${command} exited with ${code}: ${stderr.trim()}`)),
    );
  });
}
