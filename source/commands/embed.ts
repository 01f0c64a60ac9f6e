import {resolve} from 'node:path';
import {openEmbeddingCache, resolveCachePath} from '../core/cache/embedding-cache.js';
import type {EmbedEvent, EmbedReport} from '../core/embed/embed-events.js';
import {embedImages} from '../core/embed/embed-images.js';
import {parseDecodeMode, parseDevice} from '../core/embed/embedder.js';
import type {SkippedFile} from '../core/embed/file-walk.js';
import {OUTPUT_FILES} from '../core/embed/outputs.js';
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

const MAX_SKIP_REASONS = 10;

/** One line per reason a file was skipped, with how many and the first of them. */
export function skippedLines(skipped: readonly SkippedFile[]): string[] {
  const byReason = new Map<string, {count: number; first: string}>();
  for (const {file, reason} of skipped) {
    const group = byReason.get(reason);
    if (group) group.count++;
    else byReason.set(reason, {count: 1, first: file});
  }
  const lines = [...byReason].map(
    ([reason, {count, first}]) => `  skipped ${count}: ${reason} (${count > 1 ? 'e.g. ' : ''}${first})`,
  );
  if (lines.length <= MAX_SKIP_REASONS) return lines;
  return [
    ...lines.slice(0, MAX_SKIP_REASONS),
    `  skipped for ${lines.length - MAX_SKIP_REASONS} more reasons`,
  ];
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
          `found ${event.total} files${event.skipped.length ? ` (${event.skipped.length} skipped)` : ''}\n`,
        );
        for (const line of skippedLines(event.skipped)) io.stderr.write(`${line}\n`);
        break;
      case 'model-loading':
        io.stderr.write(`loading model ${event.model} (${event.dtype}, ${event.device})…\n`);
        break;
      case 'synced':
        if (event.kept + event.removed + event.adopted > 0)
          io.stderr.write(
            `collection: ${event.kept} unchanged, ${event.toEmbed} to embed, ${event.removed} removed (deleted or changed)` +
              `${event.adopted ? `, ${event.adopted} shards of a stopped run added` : ''}\n`,
          );
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
  const {metadata, sync} = report;
  const run = metadata.collection?.run;
  const failed = run?.failed ?? metadata.counts.failed;
  const cached = run?.cache_hits ?? metadata.counts.cache_hits;
  printLine(
    io,
    `${metadata.interrupted ? 'interrupted: ' : ''}embedded ${sync.appended} new images` +
      ` (${failed} failed${cached ? `, ${cached} from cache` : ''})` +
      `${sync.kept ? `, kept ${sync.kept} unchanged` : ''}${sync.removed ? `, removed ${sync.removed}` : ''}` +
      ` with ${metadata.model.name} ${metadata.model.dtype} on ${metadata.device}` +
      ` · ${metadata.images_per_second} images/s · ${metadata.timings_seconds.total} s · peak RSS ${formatBytes(metadata.peak_rss_bytes)}`,
  );
  printLine(io, `collection: ${sync.liveRows} images in ${sync.shards} shards (${report.outputDir})`);
  if (sync.viewWritten) {
    printLine(
      io,
      `wrote ${report.paths.embeddings} (${sync.liveRows} x ${metadata.model.embedding_dim} float32)`,
    );
    printLine(io, `      ${report.paths.filenames}`);
    printLine(io, `      ${report.paths.metadata}`);
  } else if (metadata.files[OUTPUT_FILES.embeddings]) {
    printLine(io, `${report.paths.embeddings} and the rest of the merged view already cover these rows`);
  } else {
    printLine(
      io,
      "no merged view written (--no-merged-view): search, serve and validate read the shards; 'visual-cortex merge' writes it",
    );
  }
}

export const embedCommand = defineCommand({
  name: 'embed',
  summary: 'embed a folder of images with CLIP into image_embeddings.npy',
  usage: `
  Usage
    $ visual-cortex embed [--input DIR] [--output DIR] [options]

  Embeds every image under DIR (recursively, sorted) with a CLIP vision model and writes
  image_embeddings.npy (N x D float32, rows L2-normalised), image_filenames.npy and metadata.json.
  The output folder is a collection of shards: running embed again adds only new images, drops rows
  of deleted ones and embeds changed ones again; a stopped or killed run resumes where it was.

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
    --decode MODE       exact | fast (default exact): fast decodes JPEGs at a reduced DCT scale (still
                        at least the model's input size) before the same resampler; faster on large
                        photos, close to but not the reference's pixels (docs/fidelity.md)
    --no-cache          embed every image again instead of reusing cached vectors
    --cache-file PATH   the embedding cache (default $VISUAL_CORTEX_CACHE, else ~/.cache/visual-cortex/embeddings.sqlite)
    --shard-size N      rows per shard of a new collection (default 4096)
    --no-merged-view    skip rewriting image_embeddings.npy, image_filenames.npy and metadata.json at
                        the end (for very large collections; search, serve and validate read the shards,
                        'visual-cortex merge' writes the view later)
    --replace           start the collection over (another model, dtype or images folder)
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
    decode: {type: 'string', default: 'exact'},
    cache: {type: 'boolean', default: true},
    cacheFile: {type: 'string'},
    shardSize: {type: 'number'},
    mergedView: {type: 'boolean', default: true},
    replace: {type: 'boolean', default: false},
  },
  async run({flags, io, signal, env}) {
    const dtype = parseDtype(flags.dtype);
    const device = parseDevice(flags.device);
    const batchSize = positiveInteger(flags.batchSize, 'batch-size');
    const threads = positiveInteger(flags.threads, 'threads');
    const sessions = positiveInteger(flags.sessions, 'sessions');
    const decode = parseDecodeMode(flags.decode);
    const shardSize = positiveInteger(flags.shardSize, 'shard-size');
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
        decode,
        shardSize,
        mergedView: flags.mergedView,
        replace: flags.replace,
        cache,
        signal,
        onEvent: progressPrinter(io),
      });
    } finally {
      cache?.close();
    }
    if (flags.json) printJson(io, {outputs: report.paths, ...report.metadata, sync: report.sync});
    else printSummary(io, report);
    return report.metadata.interrupted ? 130 : 0;
  },
});
