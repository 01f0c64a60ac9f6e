/**
 * The set-up screen's form: text as typed, which rows show, what a key does. Pure, so the screen only maps keys
 * to these functions and renders the result. Validation itself is core's (runFieldProblem), shared with `run`.
 */

import {installedName, isRepoId} from '../core/model/registry.js';
import {
  DTYPES,
  fieldsForProvider,
  PROVIDERS,
  type RunField,
  type RunSetup,
  runFieldProblem,
  runSetupProblems,
} from '../core/run/run-setup.js';
import type {DeviceAvailability} from '../core/runtime/onnx.js';

export type FormValues = Record<RunField, string>;

export interface ModelChoice {
  name: string;
  /** Installed state per dtype. */
  installed: Partial<Record<(typeof DTYPES)[number], boolean>>;
}

export type SetupAction = 'start' | 'pull' | 'save' | 'load' | 'delete';
export type SetupRow = {kind: 'field'; field: RunField} | {kind: 'action'; action: SetupAction};

const NUMERIC: ReadonlySet<RunField> = new Set([
  'count',
  'width',
  'height',
  'workers',
  'maxAttempts',
  'maxSeconds',
  'batchSize',
]);
export const SELECT_FIELDS: ReadonlySet<RunField> = new Set(['provider', 'dtype', 'device']);

export const FIELD_LABELS: Record<RunField, string> = {
  provider: 'Provider',
  url: 'URL template',
  urls: 'URL list file',
  sourceDir: 'Folder to ingest',
  width: 'Width',
  height: 'Height',
  count: 'Images',
  workers: 'Workers',
  maxAttempts: 'Max attempts (0 = auto)',
  maxSeconds: 'Max seconds (0 = none)',
  imagesDir: 'Images directory',
  model: 'Model',
  dtype: 'Dtype',
  device: 'Device',
  batchSize: 'Batch size',
  embeddingsDir: 'Embeddings directory',
};

export function setupToForm(setup: RunSetup): FormValues {
  const values = {} as FormValues;
  for (const [field, value] of Object.entries(setup)) values[field as RunField] = String(value);
  return values;
}

export function formToSetup(values: FormValues): RunSetup {
  const setup: Record<string, unknown> = {};
  for (const [field, text] of Object.entries(values)) {
    setup[field] = NUMERIC.has(field as RunField)
      ? /^\d+$/.test(text.trim())
        ? Number(text)
        : Number.NaN
      : text;
  }
  return setup as unknown as RunSetup;
}

/** A model that is a path (not a registry name) has no installed state and no pull action. */
export function isModelPath(model: string): boolean {
  return /^(\.|\/|~|[A-Za-z]:\\)/.test(model) || model.includes('\\');
}

export type ModelState = 'installed' | 'missing' | 'path' | 'unknown';

export function modelState(values: FormValues, models: readonly ModelChoice[]): ModelState {
  if (isModelPath(values.model)) return 'path';
  const choice = models.find(
    (entry) => entry.name === values.model || entry.name === hubFolder(values.model),
  );
  if (!choice)
    if (!choice)
      // A Hub id outside the registry can be pulled like a registry model (any repo in the transformers.js layout).
      return isRepoId(values.model) ? 'missing' : 'unknown';
  return choice.installed[values.dtype as (typeof DTYPES)[number]] ? 'installed' : 'missing';
}

export function setupRows(values: FormValues, models: readonly ModelChoice[]): SetupRow[] {
  const provider = (PROVIDERS as readonly string[]).includes(values.provider)
    ? (values.provider as RunSetup['provider'])
    : 'picsum';
  const rows: SetupRow[] = fieldsForProvider(provider).map((field) => ({kind: 'field', field}));
  const actions: SetupAction[] = ['start'];
  if (modelState(values, models) === 'missing') actions.push('pull');
  actions.push('save', 'load', 'delete');
  return [...rows, ...actions.map((action): SetupRow => ({kind: 'action', action}))];
}

export function fieldProblems(values: FormValues): Partial<Record<RunField, string>> {
  const setup = formToSetup(values);
  const problems: Partial<Record<RunField, string>> = {};
  for (const entry of runSetupProblems(setup)) problems[entry.field] ??= entry.problem;
  return problems;
}

export function fieldProblem(values: FormValues, field: RunField): string | undefined {
  return fieldProblems(values)[field] ?? runFieldProblem(field, formToSetup(values));
}

/** The folder `models pull` installs a Hub id into (owner__name), so an installed Hub model shows as such. */
function hubFolder(model: string): string | undefined {
  try {
    return installedName(model);
  } catch {
    return undefined;
  }
}

/** Left/right on a select row: the next option, skipping devices that are not available here. */
export function cycleOption(
  values: FormValues,
  field: RunField,
  delta: 1 | -1,
  context: {devices: readonly DeviceAvailability[]; models: readonly ModelChoice[]},
): FormValues {
  let options: string[];
  if (field === 'provider') options = [...PROVIDERS];
  else if (field === 'dtype') options = [...DTYPES];
  else if (field === 'device')
    options = context.devices.filter((entry) => entry.available).map((entry) => entry.device);
  else if (field === 'model') options = context.models.map((entry) => entry.name);
  else return values;
  if (options.length === 0) return values;
  const index = options.indexOf(values[field]);
  const next = options[(index + delta + options.length) % options.length] ?? values[field];
  return {...values, [field]: index === -1 ? (options[0] ?? next) : next};
}
