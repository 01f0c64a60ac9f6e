/**
 * What a `run` needs (download then embed), its defaults and the validation of every field. Shared by the
 * `run` command (flags) and the dashboard's set-up screen (inline validation), so both agree.
 */
import {DEFAULT_BATCH_SIZE} from '../embed/batch-size.js';
import {UserError} from '../errors.js';

export const PROVIDERS = ['picsum', 'unsplash', 'custom', 'urls', 'local'] as const;
export type Provider = (typeof PROVIDERS)[number];
export const DTYPES = ['fp32', 'q8', 'fp16'] as const;
export type RunDtype = (typeof DTYPES)[number];

export interface RunSetup {
  provider: Provider;
  count: number;
  width: number;
  height: number;
  workers: number;
  /** URL template with {width} {height} {index} {seed} (provider custom). */
  url: string;
  /** Text file of URLs, one per line (provider urls). */
  urls: string;
  /** Folder to ingest (provider local). */
  inputDir: string;
  /** 0 = no limit. */
  maxAttempts: number;
  /** 0 = no limit. */
  maxSeconds: number;
  /** Where images are downloaded to and embedded from. */
  outputDir: string;
  /** Where image_embeddings.npy, image_filenames.npy and metadata.json go. */
  embeddingsDir: string;
  model: string;
  dtype: RunDtype;
  device: string;
  batchSize: number;
}

export const RUN_DEFAULTS: Readonly<RunSetup> = {
  provider: 'picsum',
  count: 100,
  width: 1024,
  height: 768,
  workers: 8,
  url: '',
  urls: '',
  inputDir: '',
  maxAttempts: 0,
  maxSeconds: 0,
  outputDir: 'data/images',
  embeddingsDir: 'data/embeddings',
  model: 'ViT-B-32',
  dtype: 'fp32',
  device: 'cpu',
  batchSize: DEFAULT_BATCH_SIZE,
};

export type RunField = keyof RunSetup;

/** The fields that matter for a provider (the others are hidden in the set-up screen). */
export function fieldsForProvider(provider: Provider): RunField[] {
  const source: RunField[] =
    provider === 'custom'
      ? ['url']
      : provider === 'urls'
        ? ['urls']
        : provider === 'local'
          ? ['inputDir']
          : [];
  const size: RunField[] = provider === 'urls' || provider === 'local' ? [] : ['width', 'height'];
  return [
    'provider',
    ...source,
    ...size,
    'count',
    'workers',
    'maxAttempts',
    'maxSeconds',
    'outputDir',
    'model',
    'dtype',
    'device',
    'batchSize',
    'embeddingsDir',
  ];
}

const integerRanges: Partial<Record<RunField, [number, number]>> = {
  count: [1, 1_000_000],
  width: [16, 10_000],
  height: [16, 10_000],
  workers: [1, 64],
  maxAttempts: [0, 10_000_000],
  maxSeconds: [0, 31_536_000],
  batchSize: [1, 1024],
};

/** Why a field's value cannot be used (a message that says what to do), or undefined. */
export function runFieldProblem(field: RunField, setup: RunSetup): string | undefined {
  const value = setup[field];
  const range = integerRanges[field];
  if (range) {
    if (typeof value !== 'number' || !Number.isInteger(value)) return 'enter a whole number';
    if (value < range[0] || value > range[1]) return `enter a number from ${range[0]} to ${range[1]}`;
    return undefined;
  }
  switch (field) {
    case 'provider':
      return PROVIDERS.includes(setup.provider) ? undefined : `choose one of ${PROVIDERS.join(', ')}`;
    case 'dtype':
      return DTYPES.includes(setup.dtype) ? undefined : `choose one of ${DTYPES.join(', ')}`;
    case 'url':
      if (setup.provider !== 'custom') return undefined;
      if (!/^https?:\/\/\S+$/.test(setup.url))
        return 'enter an http(s) URL template, e.g. https://host/{width}/{height}?i={index}';
      return undefined;
    case 'urls':
      return setup.provider === 'urls' && setup.urls.trim() === ''
        ? 'enter the path of a file of URLs'
        : undefined;
    case 'inputDir':
      return setup.provider === 'local' && setup.inputDir.trim() === ''
        ? 'enter the folder to ingest'
        : undefined;
    case 'outputDir':
    case 'embeddingsDir':
    case 'model':
    case 'device':
      return String(value).trim() === '' ? 'must not be empty' : undefined;
    default:
      return undefined;
  }
}

export interface FieldProblem {
  field: RunField;
  problem: string;
}

export function runSetupProblems(setup: RunSetup): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const field of fieldsForProvider(setup.provider)) {
    const problem = runFieldProblem(field, setup);
    if (problem) problems.push({field, problem});
  }
  if (setup.provider !== 'local' && setup.outputDir.trim() !== '' && setup.outputDir === setup.embeddingsDir)
    problems.push({field: 'embeddingsDir', problem: 'use a directory other than the images directory'});
  return problems;
}

/** Throws one UserError that lists every problem, in flag terms. */
export function assertRunSetup(setup: RunSetup): void {
  const problems = runSetupProblems(setup);
  if (problems.length === 0) return;
  const flag = (field: string) => `--${field.replace(/[A-Z]/g, (char) => `-${char.toLowerCase()}`)}`;
  throw new UserError(
    `invalid options: ${problems.map((entry) => `${flag(entry.field)}`).join(', ')}`,
    problems.map((entry) => `${flag(entry.field)}: ${entry.problem}`).join('; '),
  );
}

/** Builds a set-up from parsed flags (undefined flags take the defaults). */
export function runSetupFromFlags(flags: Partial<Record<RunField, unknown>>): RunSetup {
  const setup: Record<string, unknown> = {...RUN_DEFAULTS};
  for (const field of Object.keys(RUN_DEFAULTS) as RunField[]) {
    const value = flags[field];
    if (value !== undefined && value !== null) setup[field] = value;
  }
  return setup as unknown as RunSetup;
}
