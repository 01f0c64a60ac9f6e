/**
 * What a `run` needs (download then embed), its defaults and the validation of every field. Shared by the
 * `run` command (flags) and the dashboard's set-up screen (inline validation), so both agree.
 */
import type {DownloadOptions} from '../download/types.js';
import {DEFAULT_BATCH_SIZE} from '../embed/batch-size.js';
import type {EmbedOptions} from '../embed/embed-images.js';
import {DEVICES, type Device, DTYPES, type Dtype, PROVIDERS, type Provider} from '../enums.js';
import {UserError} from '../errors.js';

export {DTYPES, PROVIDERS, type Provider};
export type RunDtype = Dtype;

/** The set-up screen's fields. */
export interface RunSetupFields {
  provider: Provider;
  count: number;
  width: number;
  height: number;
  workers: number;
  /** URL template with {width} {height} {index} {seed} (provider custom). */
  url: string;
  /** Text file of URLs, one per line (provider urls). */
  urls: string;
  /** Folder whose images are copied into the images folder (provider local; `--from`). */
  sourceDir: string;
  /** 0 = no limit. */
  maxAttempts: number;
  /** 0 = no limit. */
  maxSeconds: number;
  /** Where images are downloaded to and embedded from (`--images`). */
  imagesDir: string;
  /** Where image_embeddings.npy, image_filenames.npy and metadata.json go (`--embeddings`). */
  embeddingsDir: string;
  model: string;
  dtype: Dtype;
  device: Device;
  batchSize: number;
}

/** Download options beyond the set-up screen's (--min-bytes, --retries, ...), already checked. */
export type DownloadTuning = Partial<
  Pick<
    DownloadOptions,
    | 'picsumIds'
    | 'seed'
    | 'sleepOkSeconds'
    | 'sleepFailSeconds'
    | 'minBytes'
    | 'maxBytes'
    | 'retry'
    | 'timeouts'
    | 'unsplashAccessKey'
    | 'picsumBaseUrl'
    | 'unsplashApiUrl'
  >
>;

/** Embed options beyond the set-up screen's (--threads, --no-cache, ...), already checked. */
export type EmbedTuning = Partial<
  Pick<EmbedOptions, 'threads' | 'sessions' | 'decode' | 'shardSize' | 'mergedView' | 'replace'>
> & {
  /** Reuse and fill the embedding cache (default true). */
  cache?: boolean;
  /** The cache's path (default $VISUAL_CORTEX_CACHE, else the user's cache folder). */
  cacheFile?: string;
};

export interface RunSetup extends RunSetupFields {
  download?: DownloadTuning;
  embed?: EmbedTuning;
}

/** The flag of a field where it is not the field's name in kebab-case. */
const FIELD_FLAGS: Partial<Record<string, string>> = {
  imagesDir: 'images',
  embeddingsDir: 'embeddings',
  sourceDir: 'from',
};

/** `imagesDir` → `--images`, `batchSize` → `--batch-size`: the flag users type for a field or flag key. */
export function flagOf(field: string): string {
  return `--${FIELD_FLAGS[field] ?? field.replace(/[A-Z]/g, (char) => `-${char.toLowerCase()}`)}`;
}

export const RUN_DEFAULTS: Readonly<RunSetupFields> = {
  provider: 'picsum',
  count: 100,
  width: 1024,
  height: 768,
  workers: 8,
  url: '',
  urls: '',
  sourceDir: '',
  maxAttempts: 0,
  maxSeconds: 0,
  imagesDir: 'data/images',
  embeddingsDir: 'data/embeddings',
  model: 'ViT-B-32',
  dtype: 'fp32',
  device: 'cpu',
  batchSize: DEFAULT_BATCH_SIZE,
};

export type RunField = keyof RunSetupFields;

/** The fields that matter for a provider (the others are hidden in the set-up screen). */
export function fieldsForProvider(provider: Provider): RunField[] {
  const source: RunField[] =
    provider === 'custom'
      ? ['url']
      : provider === 'urls'
        ? ['urls']
        : provider === 'local'
          ? ['sourceDir']
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
    'imagesDir',
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
    case 'sourceDir':
      return setup.provider === 'local' && setup.sourceDir.trim() === ''
        ? 'enter the folder to ingest'
        : undefined;
    case 'imagesDir':
    case 'embeddingsDir':
    case 'model':
      return String(value).trim() === '' ? 'must not be empty' : undefined;
    case 'device':
      return DEVICES.includes(setup.device) ? undefined : `choose one of ${DEVICES.join(', ')}`;
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
  if (setup.provider !== 'local' && setup.imagesDir.trim() !== '' && setup.imagesDir === setup.embeddingsDir)
    problems.push({field: 'embeddingsDir', problem: 'use a directory other than the images directory'});
  return problems;
}

/** Throws one UserError that lists every problem, in flag terms. */
export function assertRunSetup(setup: RunSetup): void {
  const problems = runSetupProblems(setup);
  if (problems.length === 0) return;
  const flag = flagOf;
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
