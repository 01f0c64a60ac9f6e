/**
 * Check 4: metadata.json matches its schema and tells the truth: counts agree with the matrix, timings and
 * throughput are plausible, and the model and dtype it names are the files that exist.
 */
import {readFile, stat} from 'node:fs/promises';
import {join} from 'node:path';
import {OUTPUT_FILES} from '../embed/outputs.js';
import {changedFiles, describeChangedFile} from '../fs/file-checksums.js';
import {PREPROCESS_VERSION} from '../image/clip-preprocess.js';
import {isDtype, modelFileFor} from '../model/model-folder.js';
import {
  type CheckBody,
  type CheckContext,
  Findings,
  isRecord,
  type LoadedOutputs,
  listSome,
} from './check-context.js';
import {type CheckedMetadata, metadataSchemaErrors} from './metadata-schema.js';

/** Timings are written rounded to the millisecond; sums of rounded parts may drift by a few. */
const ROUNDING_SLACK_SECONDS = 0.005;

function checkCounts(metadata: CheckedMetadata, rows: number, findings: Findings): void {
  const {inputs, ok, failed, cache_hits: cacheHits, not_reached: notReached} = metadata.counts;
  const problems: string[] = [];
  if (ok !== rows) problems.push(`counts.ok is ${ok} but the matrix has ${rows} rows`);
  if (notReached !== undefined) {
    if (ok + failed + notReached !== inputs) {
      const terms =
        notReached > 0 ? 'counts.ok + counts.failed + counts.not_reached' : 'counts.ok + counts.failed';
      problems.push(`${terms} = ${ok + failed + notReached}, but counts.inputs is ${inputs}`);
    }
    if (notReached > 0 && !metadata.interrupted)
      problems.push(`counts.not_reached is ${notReached}, but the run was not interrupted`);
  } else if (metadata.interrupted ? ok + failed > inputs : ok + failed !== inputs) {
    // Earlier writers recorded no not_reached: an interrupted run's inputs then also count the files not reached.
    problems.push(`counts.ok + counts.failed = ${ok + failed}, but counts.inputs is ${inputs}`);
  }
  if (metadata.failures.length !== failed) {
    problems.push(`counts.failed is ${failed} but ${metadata.failures.length} failures are listed`);
  }
  if (cacheHits > ok) problems.push(`counts.cache_hits (${cacheHits}) exceeds counts.ok (${ok})`);
  for (const problem of problems) findings.fail(problem);
  const rest = inputs - ok - failed;
  const notTried = rest > 0 ? ` + ${rest} not reached (interrupted)` : '';
  if (problems.length === 0)
    findings.ok(`counts: ${inputs} inputs = ${ok} ok + ${failed} failed${notTried}; rows = ok`);
}

function checkTimings(metadata: CheckedMetadata, findings: Findings): void {
  const {load, inference, write, total} = metadata.timings_seconds;
  const sessions = metadata.inference_sessions ?? 1;
  const problems: string[] = [];
  // Load and write are sequential phases. Inference is summed over batches, and sessions run batches at once,
  // so it is bounded by total per session. Preprocessing overlaps inference and is summed over parallel
  // decoders, so it is not bounded here.
  if (load + write > total + ROUNDING_SLACK_SECONDS) {
    problems.push(`timings: load ${load}s + write ${write}s exceed total ${total}s`);
  }
  if (inference > sessions * total + ROUNDING_SLACK_SECONDS) {
    problems.push(
      sessions === 1
        ? `timings: inference ${inference}s exceeds total ${total}s`
        : `timings: inference ${inference}s (summed over ${sessions} sessions) exceeds ${sessions} x total ${total}s`,
    );
  }
  const started = Date.parse(metadata.started_at);
  const finished = Date.parse(metadata.finished_at);
  if (Number.isNaN(started) || Number.isNaN(finished) || finished < started) {
    problems.push(`finished_at (${metadata.finished_at}) is before started_at (${metadata.started_at})`);
  }
  for (const problem of problems) findings.fail(problem);
  const over = sessions > 1 ? ` over ${sessions} sessions` : '';
  if (problems.length === 0)
    findings.ok(`timings plausible (total ${total}s, inference ${inference}s${over})`);
}

/**
 * images_per_second is measured over the embedding phase, which lies inside the run (so the rate cannot be
 * below ok / total) and contains every inference (so, without cache hits, it cannot exceed ok / inference per
 * session: N sessions run N batches at once).
 */
function checkThroughput(metadata: CheckedMetadata, findings: Findings): void {
  const rate = metadata.images_per_second;
  // A collection's view counts every row; the rate is of the rows its last run added.
  const {ok, cache_hits: cacheHits} = metadata.collection
    ? (metadata.collection.run ?? {ok: 0, cache_hits: 0})
    : metadata.counts;
  const {total, inference} = metadata.timings_seconds;
  if (ok === 0) {
    findings.ok('throughput: no images embedded');
    return;
  }
  const floor = ok / (total + ROUNDING_SLACK_SECONDS);
  const sessions = metadata.inference_sessions ?? 1;
  const ceiling =
    cacheHits === 0 && inference > 0.05
      ? (ok * sessions) / Math.max(0, inference - ROUNDING_SLACK_SECONDS)
      : undefined;
  if (rate < floor * 0.95) {
    findings.fail(
      `images_per_second ${rate} is implausibly low: ${ok} images in ${total}s is at least ${floor.toFixed(2)}/s`,
    );
  } else if (ceiling !== undefined && rate > ceiling * 1.05) {
    findings.fail(
      `images_per_second ${rate} is implausibly high: ${ok} images needed ${inference}s of inference${sessions > 1 ? ` over ${sessions} sessions` : ''}, at most ${ceiling.toFixed(2)}/s`,
    );
  } else findings.ok(`throughput ${rate} images/s is consistent with ${ok} images in ${total}s`);
}

async function checkModelFiles(
  metadata: CheckedMetadata,
  context: CheckContext,
  columns: number,
  findings: Findings,
): Promise<void> {
  const {dtype, file, embedding_dim: dims} = metadata.model;
  if (isDtype(dtype) && file !== modelFileFor('vision', dtype)) {
    findings.fail(`model.file is ${file} but the ${dtype} vision graph is ${modelFileFor('vision', dtype)}`);
  }
  const modelDir = context.model?.folder.dir ?? metadata.model.path;
  const graphPath = join(modelDir, file);
  const exists = await stat(graphPath).then(
    (info) => info.isFile(),
    () => false,
  );
  if (exists) findings.ok(`model file ${graphPath} exists`);
  else findings.fail(`model file ${graphPath} (dtype ${dtype}) does not exist`);
  if (dims !== columns) findings.fail(`model.embedding_dim is ${dims} but the matrix has ${columns} columns`);
  else findings.ok(`model.embedding_dim ${dims} = matrix columns`);
  if (metadata.model.preprocess_version !== PREPROCESS_VERSION) {
    findings.note(
      `made with preprocessing ${metadata.model.preprocess_version}; this version uses ${PREPROCESS_VERSION} (the spot check shows whether that matters)`,
    );
  }
}

/**
 * Writers record each .npy's size and sha256 in metadata.json. A file that differs was changed after the run or
 * comes from another run (a mixed set: old filenames beside new rows pass every other check when the row counts
 * agree), so it fails.
 */
async function checkFingerprints(outputs: LoadedOutputs, findings: Findings): Promise<void> {
  const files = outputs.metadata.files;
  if (!isRecord(files)) return;
  const [embeddings, filenames] = await Promise.all([
    readFile(outputs.paths.embeddings),
    readFile(outputs.paths.filenames),
  ]);
  const changed = changedFiles(files, {
    [OUTPUT_FILES.embeddings]: embeddings,
    [OUTPUT_FILES.filenames]: filenames,
  });
  for (const file of changed) {
    findings.fail(
      `${describeChangedFile(file)}: the file changed after the run wrote metadata.json, or comes from another run (embed again to write a matching set)`,
    );
  }
  const recorded = Object.keys(files).filter((name) => isRecord(files[name]));
  if (changed.length === 0 && recorded.length > 0)
    findings.ok(`sha256 of ${recorded.join(', ')} match metadata.json`);
}

function describeCounts({inputs, ok, failed}: CheckedMetadata['counts']): string {
  const rest = inputs - ok - failed;
  return `${ok} ok + ${failed} failed${rest > 0 ? ` + ${rest} not reached` : ''} = ${inputs} inputs`;
}

export async function checkMetadata(context: CheckContext): Promise<CheckBody> {
  const findings = new Findings();
  const outputs = context.outputs as LoadedOutputs;
  const errors = metadataSchemaErrors(outputs.metadata);
  if (errors.length > 0) {
    findings.fail(`metadata.json does not match its schema: ${listSome(errors, 5)}`);
    return findings.finish('');
  }
  findings.ok(`schema valid (schema_version ${String(outputs.metadata.schema_version)})`);
  const metadata = outputs.metadata as unknown as CheckedMetadata;
  checkCounts(metadata, outputs.rows, findings);
  checkTimings(metadata, findings);
  checkThroughput(metadata, findings);
  await checkModelFiles(metadata, context, outputs.columns, findings);
  await checkFingerprints(outputs, findings);
  if (metadata.interrupted)
    findings.note('the run was interrupted: the outputs hold the images embedded before it stopped');
  return findings.finish(
    `schema valid; ${describeCounts(metadata.counts)}; model ${metadata.model.name} ${metadata.model.dtype}`,
  );
}
