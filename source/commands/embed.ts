import {resolve} from 'node:path';
import {openEmbeddingCache, resolveCachePath} from '../core/cache/embedding-cache.js';
import type {EmbedEvent, EmbedReport} from '../core/embed/embed-events.js';
import {embedImages} from '../core/embed/embed-images.js';
import type {SkippedFile} from '../core/embed/file-walk.js';
import {OUTPUT_FILES} from '../core/embed/outputs.js';
import {resolveModelsDir} from '../core/model/model-folder.js';
import {defineCommand, type Io} from './command.js';
import {EXIT_CODES_HELP, exitCodeFor} from './exit-codes.js';
import {
  EMBED_HELP,
  embedFlags,
  embedTuningFromFlags,
  MODEL_HELP,
  modelFlags,
  modelFromFlags,
} from './options/embed-options.js';
import {EMBEDDINGS_HELP, embeddingsFlag, IMAGES_HELP, imagesFlag} from './options/folders.js';
import {helpBlock} from './options/help.js';
import {formatBytes, printJson, printLine} from './output.js';

const MAX_FAILURE_LINES = 20;

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
  printLine(io, `collection: ${sync.liveRows} images in ${sync.shards} shards (${report.embeddingsDir})`);
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
    $ visual-cortex embed [--images DIR] [--embeddings DIR] [options]

  Embeds every image under the images folder (recursively, sorted) with a CLIP vision model and writes
  image_embeddings.npy (N x D float32, rows L2-normalised), image_filenames.npy and metadata.json.
  The embeddings folder is a collection of shards: running embed again adds only new images, drops rows
  of deleted ones and embeds changed ones again; a stopped or killed run resumes where it was.

  Options
${helpBlock([IMAGES_HELP, EMBEDDINGS_HELP, ...MODEL_HELP, ...EMBED_HELP])}
    --json                print the final report as JSON

${EXIT_CODES_HELP}

  Examples
    $ visual-cortex embed
    $ visual-cortex embed --images photos --embeddings out --dtype q8 --batch-size 16
`,
  flags: {
    imagesDir: imagesFlag('input'),
    embeddingsDir: embeddingsFlag('output'),
    ...modelFlags,
    ...embedFlags,
  },
  async run({flags, io, signal, env}) {
    const {model, dtype, device} = modelFromFlags(flags);
    const {cache: useCache = true, cacheFile, ...tuning} = embedTuningFromFlags(flags);
    const cache = useCache ? openEmbeddingCache(resolveCachePath(cacheFile, env)) : undefined;
    let report: EmbedReport;
    try {
      report = await embedImages({
        imagesDir: resolve(flags.imagesDir),
        embeddingsDir: resolve(flags.embeddingsDir),
        model,
        modelsDir: resolveModelsDir(flags.modelsDir, env),
        dtype,
        device,
        ...tuning,
        cache,
        signal,
        onEvent: progressPrinter(io),
      });
    } finally {
      cache?.close();
    }
    if (flags.json) printJson(io, {outputs: report.paths, ...report.metadata, sync: report.sync});
    else printSummary(io, report);
    return exitCodeFor({interrupted: report.interrupted, complete: true});
  },
});
