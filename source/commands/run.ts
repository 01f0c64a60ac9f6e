import type {AnyFlags} from 'meow';
import {unreachableHint} from '../core/download/unreachable.js';
import type {RunEvent, RunReport} from '../core/run/run-pipeline.js';
import {runPipeline} from '../core/run/run-pipeline.js';
import {assertRunSetup, type RunSetup, runSetupFromFlags} from '../core/run/run-setup.js';
import {endedShort, explainShortfall, runTakesFlag} from '../core/run/shortfall.js';
import {type CommandContext, defineCommand, type Io} from './command.js';
import {EXIT_CODES_HELP, exitCodeFor} from './exit-codes.js';
import {downloadFlags, downloadHelp, downloadTuningFromFlags} from './options/download-options.js';
import {
  EMBED_HELP,
  embedFlags,
  embedTuningFromFlags,
  MODEL_HELP,
  modelFlags,
} from './options/embed-options.js';
import {EMBEDDINGS_HELP, embeddingsFlag, IMAGES_HELP, imagesFlag} from './options/folders.js';
import {helpBlock} from './options/help.js';
import {formatBytes, printJson, printLine} from './output.js';

/** The flags of `run`: the download, folder, model and embed groups; also taken by `presets save` and the dashboard. */
export const runFlags = {
  ...downloadFlags,
  imagesDir: imagesFlag('output-dir'),
  embeddingsDir: embeddingsFlag('embeddings-dir'),
  ...modelFlags,
  ...embedFlags,
} as const satisfies AnyFlags;

export const runFlagsHelp = `
${helpBlock([...downloadHelp(), IMAGES_HELP, EMBEDDINGS_HELP, ...MODEL_HELP, ...EMBED_HELP])}`;

/**
 * A set-up from run flags: the set-up screen's fields plus the download and embed options beyond them. Checked
 * unless `check` is false (the dashboard shows the problems in its form instead).
 */
export function runSetupFromRunFlags(flags: Record<string, unknown>, check = true): RunSetup {
  const {batchSize, ...embed} = embedTuningFromFlags(flags);
  const setup: RunSetup = {
    ...runSetupFromFlags({...flags, batchSize}),
    download: downloadTuningFromFlags(flags),
    embed,
  };
  if (check) assertRunSetup(setup);
  return setup;
}

export function isInteractive(io: Io, json: boolean): boolean {
  return !json && Boolean(io.stdout.isTTY && io.stdin.isTTY);
}

export const runCommand = defineCommand({
  name: 'run',
  summary: 'download then embed, with live progress',
  usage: `
  Usage
    $ visual-cortex run [options]

  Downloads images (resuming: kept images count towards --count), then embeds the images directory.
  On a terminal it shows the live run screen; otherwise it prints plain lines. Ctrl+C once stops gracefully
  (outputs written consistently, marked interrupted); twice quits at once.

  Options${runFlagsHelp}
    --json                print the combined report as JSON
    --preset NAME         start from a saved set-up (explicit flags win)

${EXIT_CODES_HELP}

  Examples
    $ visual-cortex run --count 200 --workers 8
    $ visual-cortex run --provider local --from ~/Pictures --model ViT-B-32 --dtype q8
`,
  flags: runFlags,
  async run(context) {
    const setup = runSetupFromRunFlags(context.flags);
    if (isInteractive(context.io, context.flags.json)) {
      const {openDashboard} = await import('./open-dashboard.js');
      return openDashboard(context, setup, 'run');
    }
    const report = await runPipeline({
      ...setup,
      signal: context.signal,
      env: context.env,
      modelsDir: context.flags.modelsDir,
      onEvent: context.flags.json ? undefined : plainPrinter(context.io),
    });
    if (context.flags.json) printJson(context.io, report);
    else printSummary(context.io, report);
    return exitCodeFor({interrupted: report.interrupted, complete: !endedShort(report.download)});
  },
});

/** Plain progress lines: every item failure, and totals at most once a second per stage. */
export function plainPrinter(io: Io, now: () => number = Date.now): (event: RunEvent) => void {
  let lastTotals = 0;
  let lastBatch = 0;
  let lastProgress = 0;
  return (event) => {
    if (event.type === 'progress') {
      if (now() - lastProgress < 1000) return;
      lastProgress = now();
      const {download, embed} = event.progress;
      const eta = event.progress.etaSeconds;
      printLine(
        io,
        `run: downloaded ${download.kept}/${download.ended ? download.kept : download.toDownload}, embedded ${embed.done}/${embed.expected}, committed ${embed.committedRows} rows, ETA ${eta === null ? '--' : `${Math.ceil(eta)} s`}`,
      );
    } else if (event.type === 'stopping')
      printLine(io, `stopping during ${event.stage} (outputs stay consistent)…`);
    else if (event.type === 'download') {
      const inner = event.event;
      if (inner.type === 'start')
        printLine(
          io,
          `download: ${inner.toDownload} to fetch (${inner.alreadyPresent} already in ${inner.imagesDir}), ${inner.workers} workers`,
        );
      else if (inner.type === 'failed')
        printLine(io, `  failed (${inner.reason}): ${inner.url}: ${inner.message}`);
      else if (inner.type === 'totals' && now() - lastTotals >= 1000) {
        lastTotals = now();
        const t = inner.totals;
        printLine(
          io,
          `download: ${t.kept}/${t.toDownload} kept, ${t.failed} failed, ${t.duplicates} duplicates, ${t.imagesPerSecond.toFixed(1)} img/s`,
        );
      }
    } else if (event.type === 'embed') {
      const inner = event.event;
      if (inner.type === 'model-loaded')
        printLine(
          io,
          `embed: model ${inner.model} ${inner.dtype} on ${inner.device} (${Math.round(inner.loadMs)} ms)`,
        );
      else if (inner.type === 'failure') printLine(io, `  failed: ${inner.file}: ${inner.reason}`);
      else if (inner.type === 'committed')
        printLine(io, `embed: committed shard ${inner.shard} (${inner.rows} rows, ${inner.total} this run)`);
      else if (inner.type === 'batch' && (now() - lastBatch >= 1000 || inner.done === inner.total)) {
        lastBatch = now();
        printLine(
          io,
          `embed: ${inner.done}/${inner.total} (${inner.failed} failed), ${inner.averageImagesPerSecond.toFixed(1)} img/s, batch ${Math.round(inner.batchMs)} ms`,
        );
      }
    }
  };
}

export function printSummary(io: Io, report: RunReport): void {
  const download = report.download;
  if (download)
    printLine(
      io,
      `downloaded ${download.kept} (${download.total} in ${download.imagesDir}), failed ${download.failed}, duplicates ${download.duplicates}, ${formatBytes(download.bytes)}`,
    );
  for (const [reason, count] of Object.entries(download?.failedByReason ?? {}))
    printLine(io, `  ${reason}: ${count}`);
  if (download?.stopReason === 'unreachable') {
    printLine(io, `  the download stopped early: ${download.sourceError}`);
    printLine(
      io,
      `  what to do: ${unreachableHint(download.provider)}; the images already there are embedded`,
    );
  } else {
    if (download?.sourceError) printLine(io, `  the URL source stopped early: ${download.sourceError}`);
    const shortfall = download && explainShortfall(download, runTakesFlag);
    if (shortfall) {
      printLine(io, `${shortfall.missing} short of --count ${download.requested}: ${shortfall.why}`);
      printLine(io, `  fix: ${shortfall.fix}`);
    }
  }
  if (report.embed) {
    const {ok, failed, cacheHits} = report.embed;
    printLine(
      io,
      `embedded ${ok}, failed ${failed}${cacheHits ? `, ${cacheHits} from the cache` : ''}; committed ${report.progress.embed.committedRows} rows`,
    );
    for (const file of report.outputFiles) printLine(io, `  wrote ${file}`);
  } else printLine(io, 'nothing was embedded (stopped first); earlier outputs are untouched');
  if (report.interrupted) printLine(io, 'interrupted: run the same command again to resume');
  else printLine(io, `next: visual-cortex validate --embeddings ${report.embeddingsDir}`);
}

export type RunContext = CommandContext<Record<string, unknown>>;
export type {RunSetup};
