import {resolve} from 'node:path';
import {openEmbeddingCache, resolveCachePath} from '../core/cache/embedding-cache.js';
import type {EmbedEvent, EmbedReport} from '../core/embed/embed-events.js';
import {embedImages} from '../core/embed/embed-images.js';
import {parseDevice} from '../core/embed/embedder.js';
import {UserError} from '../core/errors.js';
import {DEFAULT_MODEL, parseDtype, resolveModelsDir} from '../core/model/model-folder.js';
import {defineCommand, type Io} from './command.js';
import {formatBytes, printJson, printLine} from './output.js';

const MAX_FAILURE_LINES = 20;

function positiveInteger(value: number | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 1) {
    throw new UserError(`--${flag} must be a positive whole number, got ${value}`, `e.g. --${flag} 8`);
  }
  return value;
}

/** Progress on stderr (stdout stays clean for --json): one rewritten line on a terminal, plain lines otherwise. */
function progressPrinter(io: Io): (event: EmbedEvent) => void {
  const tty = Boolean(io.stderr.isTTY);
  let failuresShown = 0;
  let lastLine = 0;
  const line = (text: string) => io.stderr.write(tty ? `\r\x1b[2K${text}` : `${text}\n`);
  return (event) => {
    switch (event.type) {
      case 'scanned':
        io.stderr.write(
          `found ${event.total} files${event.skipped ? ` (${event.skipped} non-image files skipped)` : ''}\n`,
        );
        break;
      case 'model-loading':
        io.stderr.write(`loading model ${event.model} (${event.dtype}, ${event.device})…\n`);
        break;
      case 'model-loaded':
        io.stderr.write(
          `loaded ${event.model} (${event.dtype}, ${event.device}, ${event.dims}-d) in ${(event.loadMs / 1000).toFixed(1)} s\n`,
        );
        break;
      case 'failure':
        failuresShown++;
        if (failuresShown <= MAX_FAILURE_LINES) {
          if (tty) io.stderr.write('\r\x1b[2K');
          io.stderr.write(`failed: ${event.file}: ${event.reason}\n`);
        } else if (failuresShown === MAX_FAILURE_LINES + 1) {
          io.stderr.write('(more failures: see failures in metadata.json)\n');
        }
        break;
      case 'batch': {
        // Plain lines at most once a second (and the last one), so logs stay readable on big folders.
        const now = Date.now();
        if (!tty && event.done < event.total && now - lastLine < 1000) break;
        lastLine = now;
        const percent = Math.floor((event.done * 100) / event.total);
        line(
          `embedded ${event.done}/${event.total} (${percent}%) ok ${event.ok} failed ${event.failed}` +
            `${event.cacheHits ? ` cached ${event.cacheHits}` : ''} · ${event.averageImagesPerSecond.toFixed(1)} images/s`,
        );
        break;
      }
      case 'writing':
        io.stderr.write(tty ? '\nwriting outputs…\n' : 'writing outputs…\n');
        break;
      default:
        break;
    }
  };
}

function printSummary(io: Io, report: EmbedReport): void {
  const {metadata} = report;
  const {counts} = metadata;
  printLine(
    io,
    `${metadata.interrupted ? 'interrupted: ' : ''}embedded ${counts.ok} of ${counts.inputs} images` +
      ` (${counts.failed} failed${counts.cache_hits ? `, ${counts.cache_hits} from cache` : ''})` +
      ` with ${metadata.model.name} ${metadata.model.dtype} on ${metadata.device}` +
      ` · ${metadata.images_per_second} images/s · ${metadata.timings_seconds.total} s · peak RSS ${formatBytes(metadata.peak_rss_bytes)}`,
  );
  printLine(io, `wrote ${report.paths.embeddings} (${counts.ok} x ${metadata.model.embedding_dim} float32)`);
  printLine(io, `      ${report.paths.filenames}`);
  printLine(io, `      ${report.paths.metadata}`);
}

export const embedCommand = defineCommand({
  name: 'embed',
  summary: 'embed a folder of images with CLIP into image_embeddings.npy',
  usage: `
  Usage
    $ visual-cortex embed [--input DIR] [--output DIR] [options]

  Embeds every image under DIR (recursively, sorted) with a CLIP vision model and writes
  image_embeddings.npy (N x D float32, rows L2-normalised), image_filenames.npy and metadata.json.

  Options
    --input DIR         folder of images (default data/images)
    --output DIR        where the outputs go (default data/embeddings)
    --model M           model name under the models directory, or a path to a model folder (default ${DEFAULT_MODEL})
    --dtype D           fp32 | q8 | fp16 (default fp32)
    --device D          cpu | cuda | coreml | dml | webgpu (default cpu)
    --batch-size N      most images per inference batch (default: 8, or 16 with 12+ threads)
    --threads N         inference threads (default: every core)
    --sessions N        inference sessions sharing those threads (default: 2 for q8 on the CPU
                        with 2+ threads, else 1); each holds its own copy of the weights
                        (~350 MB more for fp32, ~130 MB for q8)
    --no-cache          embed every image again instead of reusing cached vectors
    --cache-file PATH   the embedding cache (default $VISUAL_CORTEX_CACHE, else ~/.cache/visual-cortex/embeddings.sqlite)
    --json              print the final report as JSON

  Examples
    $ visual-cortex embed
    $ visual-cortex embed --input photos --output out --dtype q8 --batch-size 16
`,
  flags: {
    input: {type: 'string', default: 'data/images'},
    output: {type: 'string', default: 'data/embeddings'},
    model: {type: 'string', default: DEFAULT_MODEL},
    dtype: {type: 'string', default: 'fp32'},
    device: {type: 'string', default: 'cpu'},
    batchSize: {type: 'number'},
    threads: {type: 'number'},
    sessions: {type: 'number'},
    cache: {type: 'boolean', default: true},
    cacheFile: {type: 'string'},
  },
  async run({flags, io, signal, env}) {
    const dtype = parseDtype(flags.dtype);
    const device = parseDevice(flags.device);
    const batchSize = positiveInteger(flags.batchSize, 'batch-size');
    const threads = positiveInteger(flags.threads, 'threads');
    const sessions = positiveInteger(flags.sessions, 'sessions');
    const cache = flags.cache ? openEmbeddingCache(resolveCachePath(flags.cacheFile, env)) : undefined;
    let report: EmbedReport;
    try {
      report = await embedImages({
        inputDir: resolve(flags.input),
        outputDir: resolve(flags.output),
        model: flags.model,
        modelsDir: resolveModelsDir(flags.modelsDir, env),
        dtype,
        device,
        batchSize,
        threads,
        sessions,
        cache,
        signal,
        onEvent: progressPrinter(io),
      });
    } finally {
      cache?.close();
    }
    if (flags.json) printJson(io, {outputs: report.paths, ...report.metadata});
    else printSummary(io, report);
    return report.metadata.interrupted ? 130 : 0;
  },
});
