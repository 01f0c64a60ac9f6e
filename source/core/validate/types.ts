/**
 * The shapes of a validation run: five checks over one output set, reported as typed events so the command and
 * the dashboard screen can both show them live, and a report at the end.
 */
export const VALIDATION_CHECKS = [
  {id: 'structure', index: 1, title: 'Structure'},
  {id: 'runtime', index: 2, title: 'Imports / runtime'},
  {id: 'errors', index: 3, title: 'Errors'},
  {id: 'metadata', index: 4, title: 'Metadata'},
  {id: 'embeddings', index: 5, title: 'Embeddings'},
] as const;

export type CheckId = (typeof VALIDATION_CHECKS)[number]['id'];

export interface CheckInfo {
  id: CheckId;
  /** 1-based position, as in "2/5". */
  index: number;
  title: string;
}

/** ok: a property that holds; fail: one that does not; note: context worth knowing; skip: a part not run, and why. */
export type DetailKind = 'ok' | 'fail' | 'note' | 'skip';

export interface CheckDetail {
  kind: DetailKind;
  message: string;
}

export type CheckStatus = 'passed' | 'failed' | 'skipped';

export interface CheckResult extends CheckInfo {
  status: CheckStatus;
  /** One line: what was verified (passed), the first problem (failed) or why it did not run (skipped). */
  summary: string;
  details: CheckDetail[];
  durationMs: number;
}

export interface ValidationReport {
  embeddingsDir: string;
  /** True only when all five checks ran and passed. */
  passed: boolean;
  passedCount: number;
  total: number;
  /** The checks that finished, in order (all five unless the run was interrupted). */
  checks: CheckResult[];
  /** Stopped by the signal before every check finished: the report holds those that did. */
  interrupted: boolean;
  /** Spot-check settings, so a run can be repeated exactly. */
  sample: number;
  seed: number;
}

export type ValidationEvent =
  | {type: 'check-started'; check: CheckInfo}
  | {type: 'check-progress'; check: CheckInfo; message: string}
  | {type: 'check-passed'; check: CheckInfo; result: CheckResult}
  | {type: 'check-failed'; check: CheckInfo; result: CheckResult}
  | {type: 'check-skipped'; check: CheckInfo; result: CheckResult}
  | {type: 'verdict'; report: ValidationReport};

export interface ValidateOptions {
  /** The embeddings folder holding image_embeddings.npy, image_filenames.npy and metadata.json. */
  embeddingsDir: string;
  modelsDir: string;
  /** Overrides the model named in metadata.json (a name under modelsDir or a folder path). */
  model?: string;
  /** Images re-embedded by the spot check (default 3; 0 turns it off). */
  sample?: number;
  /** Seed of the spot check's sampling; random when left out (the report carries the one used). */
  seed?: number;
  /** Replaces the seeded generator entirely (tests); returns values in [0, 1). */
  random?: () => number;
}

/** What validateOutputs takes: the options, a stop signal (a graceful stop, not an error) and the event sink. */
export type ValidateRun = ValidateOptions & {
  signal?: AbortSignal;
  onEvent?: (event: ValidationEvent) => void;
};

export const DEFAULT_SAMPLE = 3;
export const SPOT_CHECK_MIN_COSINE = 0.9999;
/**
 * q8's graphs quantise activations dynamically over the whole batch, so a row depends on the images beside it:
 * re-embedded alone, the full-size ViT-B/32 (random weights) gave cosine 0.99965-0.99980 to its batched rows
 * (288 rows, batches of 2-8; the tiny CLIP 0.99992), where fp32 gives 1 - 1e-7. The threshold leaves ~3x that
 * gap and still tells another image's row apart (docs/fidelity.md, "q8 and batching").
 */
export const SPOT_CHECK_MIN_COSINE_Q8 = 0.999;

export function spotCheckMinCosine(dtype: string): number {
  return dtype === 'q8' ? SPOT_CHECK_MIN_COSINE_Q8 : SPOT_CHECK_MIN_COSINE;
}
export const UNIT_NORM_TOLERANCE = 1e-3;
