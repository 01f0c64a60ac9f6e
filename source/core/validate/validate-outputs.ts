/**
 * Runs the five checks over one output folder, in order, reporting each as events. A check whose inputs an
 * earlier check could not provide is reported as skipped, with the reason. The embedder that checks 3 and 5 share
 * is started on first use and closed when the run ends, however it ends.
 */
import {randomInt} from 'node:crypto';
import {stat} from 'node:fs/promises';
import {resolve} from 'node:path';
import type {Embedder} from '../embed/embedder.js';
import {describeError, isAbortError, UserError} from '../errors.js';
import type {DecodeMode} from '../image/clip-preprocess.js';
import type {CheckBody, CheckContext, CheckRun} from './check-context.js';
import {seededRandom} from './sampling.js';
import {
  type CheckId,
  type CheckInfo,
  type CheckResult,
  DEFAULT_SAMPLE,
  VALIDATION_CHECKS,
  type ValidateRun,
  type ValidationEvent,
  type ValidationReport,
} from './types.js';

/**
 * Checks load lazily: most of them pull in onnxruntime-node or sharp, and a native library that fails to load
 * must become a failed check with its message, not a validation that cannot start.
 */
const RUNS: Record<CheckId, CheckRun> = {
  structure: async (context) => (await import('./check-structure.js')).checkStructure(context),
  runtime: async (context) => (await import('./check-runtime.js')).checkRuntime(context),
  errors: async (context) => (await import('./check-errors.js')).checkErrors(context),
  metadata: async (context) => (await import('./check-metadata.js')).checkMetadata(context),
  embeddings: async (context, progress) =>
    (await import('./check-embeddings.js')).checkEmbeddings(context, progress),
};

/** Why a check cannot run yet, or undefined when it can. */
function missingInput(id: CheckId, context: CheckContext): string | undefined {
  if (id !== 'structure' && !context.outputs) return 'needs outputs that parse (check 1 Structure failed)';
  return undefined;
}

async function assertOutputDir(dir: string): Promise<void> {
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new UserError(
      `no output folder at ${dir}`,
      "pass --embeddings with the folder 'visual-cortex embed' wrote to (default data/embeddings)",
    );
  }
}

function checkSample(sample: number): void {
  if (!Number.isInteger(sample) || sample < 0) {
    throw new UserError(
      `--sample must be a whole number of images (0 or more), got ${sample}`,
      'use --sample 3',
    );
  }
}

/** A check's body; anything it throws but an abort is its own failure, so the other checks still report. */
async function runCheck(
  run: CheckRun,
  context: CheckContext,
  progress: (message: string) => void,
): Promise<CheckBody | 'interrupted'> {
  try {
    return await run(context, progress);
  } catch (error) {
    if (isAbortError(error) || context.signal.aborted) return 'interrupted';
    const message = `the check could not run: ${describeError(error)}`;
    return {status: 'failed', summary: message, details: [{kind: 'fail', message}]};
  }
}

/**
 * Runs the five checks and resolves with the report; `onEvent` sees each event as it happens. A stop by the
 * signal resolves too, with the checks that finished and `interrupted` set; only bad options reject (UserError).
 */
export async function validateOutputs(options: ValidateRun): Promise<ValidationReport> {
  const dir = resolve(options.embeddingsDir);
  const sample = options.sample ?? DEFAULT_SAMPLE;
  const signal = options.signal ?? new AbortController().signal;
  const emit = options.onEvent ?? (() => {});
  checkSample(sample);
  await assertOutputDir(dir);
  const seed = options.seed ?? randomInt(2 ** 31);
  let embedder: Promise<Embedder> | undefined;
  const context: CheckContext = {
    dir,
    modelsDir: options.modelsDir,
    modelOverride: options.model,
    sample,
    random: options.random ?? seededRandom(seed),
    signal,
    embedder() {
      const model = context.model;
      if (!model) return Promise.reject(new Error('no model resolved'));
      embedder ??= import('../embed/embedder.js').then(({createEmbedder}) =>
        createEmbedder({
          model: model.folder.dir,
          modelsDir: options.modelsDir,
          dtype: model.dtype,
          device: 'cpu',
          // The spot check re-embeds as the outputs were made: fast-decode vectors differ from exact ones.
          decode: decodeOf(context.outputs?.metadata),
        }),
      );
      return embedder;
    },
  };
  const results: CheckResult[] = [];
  let interrupted = false;
  try {
    for (const check of VALIDATION_CHECKS) {
      if (signal.aborted) {
        interrupted = true;
        break;
      }
      const info: CheckInfo = {id: check.id, index: check.index, title: check.title};
      const reason = missingInput(check.id, context);
      if (reason !== undefined) {
        const result: CheckResult = {...info, status: 'skipped', summary: reason, details: [], durationMs: 0};
        results.push(result);
        emit({type: 'check-skipped', check: info, result});
        continue;
      }
      emit({type: 'check-started', check: info});
      const started = performance.now();
      const body = await runCheck(RUNS[check.id], context, (message) =>
        emit({type: 'check-progress', check: info, message}),
      );
      if (body === 'interrupted') {
        interrupted = true;
        break;
      }
      const result: CheckResult = {...info, ...body, durationMs: Math.round(performance.now() - started)};
      results.push(result);
      emit({type: `check-${body.status}`, check: info, result} as ValidationEvent);
    }
  } finally {
    const opened = embedder;
    if (opened) await opened.then((started) => started.close()).catch(() => undefined);
  }
  const passedCount = results.filter((result) => result.status === 'passed').length;
  const report: ValidationReport = {
    embeddingsDir: dir,
    passed: !interrupted && passedCount === VALIDATION_CHECKS.length,
    passedCount,
    total: VALIDATION_CHECKS.length,
    checks: results,
    interrupted,
    sample,
    seed,
  };
  emit({type: 'verdict', report});
  return report;
}

/** metadata.json's model.decode; outputs from before it existed were decoded exactly. */
function decodeOf(metadata: Record<string, unknown> | undefined): DecodeMode {
  const model = metadata?.model;
  const decode = model && typeof model === 'object' ? (model as {decode?: unknown}).decode : undefined;
  return decode === 'fast' ? 'fast' : 'exact';
}
