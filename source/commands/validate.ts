import {resolveModelsDir} from '../core/model/model-folder.js';
import type {CheckResult, ValidationReport} from '../core/validate/types.js';
import {DEFAULT_SAMPLE} from '../core/validate/types.js';
import {validateOutputs} from '../core/validate/validate-outputs.js';
import {defineCommand, type Io} from './command.js';
import {exitCodeFor} from './exit-codes.js';
import {embeddingsFlag} from './options/folders.js';
import {printJson, printLine} from './output.js';

const MARKS = {passed: '✓', failed: '✗', skipped: '-'} as const;
const DETAIL_MARKS = {ok: '✓', fail: '✗', note: '·', skip: '-'} as const;

export function formatCheckLines(result: CheckResult, total = 5): string[] {
  const head = `${MARKS[result.status]} ${result.index}/${total} ${result.title}`;
  const summary = result.status === 'skipped' ? `skipped: ${result.summary}` : result.summary;
  const lines = [`${head}  ${summary}`];
  // A pass needs no proof on screen; a failure or skip shows everything that explains it.
  for (const detail of result.details) {
    if (result.status === 'passed' && detail.kind !== 'note') continue;
    lines.push(`    ${DETAIL_MARKS[detail.kind]} ${detail.message}`);
  }
  return lines;
}

export function formatVerdict(report: ValidationReport): string {
  if (report.passed) return `${report.passedCount}/${report.total} checks pass`;
  const named = (status: CheckResult['status']) =>
    report.checks.filter((check) => check.status === status).map((check) => `${check.index} ${check.title}`);
  const failed = named('failed');
  const skipped = named('skipped');
  const parts = [
    failed.length ? `failed: ${failed.join(', ')}` : '',
    skipped.length ? `skipped: ${skipped.join(', ')}` : '',
  ]
    .filter(Boolean)
    .join('; ');
  return `${report.passedCount}/${report.total} checks pass (${parts})`;
}

function printEvent(io: Io, result: CheckResult): void {
  for (const line of formatCheckLines(result)) printLine(io, line);
}

export const validateCommand = defineCommand({
  name: 'validate',
  summary: "check a run's outputs: structure, runtime, errors, metadata, embeddings",
  usage: `
  Usage
    $ visual-cortex validate [options]

  Runs five checks over a run's outputs (image_embeddings.npy, image_filenames.npy, metadata.json):
    1 Structure    the three files exist, parse, and agree in row count; a collection's shards match
                   their checksums, the manifest and each other (no image in two rows)
    2 Imports      onnxruntime-node and sharp load; the model is present, its inputs/outputs and width fit
    3 Errors       a corrupt image and an empty file become recorded failures, not crashes
    4 Metadata     schema, counts, timings, throughput, model and dtype consistent with the files
    5 Embeddings   float32, finite, unit rows, filenames aligned and present; re-embeds a sample of images
                   and requires cosine >= 0.9999 with the stored rows

  Options
    --embeddings DIR the embeddings folder to check (default data/embeddings)
    --model M        the model to check against (default: the one metadata.json names)
    --sample K       images the spot check re-embeds (default ${DEFAULT_SAMPLE}; 0 turns it off)
    --seed N         seed of the spot check's sample (default random; printed so a run can be repeated)
    --models-dir D   where models live (default ./models, or $VISUAL_CORTEX_MODELS)
    --json           print the report as JSON

  Exit status: 0 when all five checks pass, 1 when one fails, 2 for a usage error (e.g. no such folder),
  130 when stopped (Ctrl+C).

  Examples
    $ visual-cortex validate
    $ visual-cortex validate --embeddings out/embeddings --sample 10 --json
`,
  flags: {
    embeddingsDir: embeddingsFlag('dir'),
    model: {type: 'string'},
    sample: {type: 'number', default: DEFAULT_SAMPLE},
    seed: {type: 'number'},
  },
  async run({flags, io, signal, env}) {
    const json = Boolean(flags.json);
    const report = await validateOutputs({
      embeddingsDir: flags.embeddingsDir,
      modelsDir: resolveModelsDir(flags.modelsDir, env),
      model: flags.model || undefined,
      sample: flags.sample,
      seed: flags.seed,
      signal,
      onEvent: (event) => {
        if (json) return;
        if (
          event.type === 'check-passed' ||
          event.type === 'check-failed' ||
          event.type === 'check-skipped'
        ) {
          printEvent(io, event.result);
        }
      },
    });
    if (json) printJson(io, report);
    if (report.interrupted) io.stderr.write('validation stopped\n');
    else if (!json) {
      printLine(io, formatVerdict(report));
      if (report.sample > 0) printLine(io, `  (spot check: ${report.sample} images, seed ${report.seed})`);
    }
    return exitCodeFor({interrupted: report.interrupted, complete: report.passed});
  },
});
