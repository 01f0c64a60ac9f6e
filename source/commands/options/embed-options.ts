/**
 * The embed and model option groups: one definition (flag, default, help line, parsing) shared by `embed`,
 * `run`, `presets save` and the dashboard.
 */
import type {AnyFlags} from 'meow';
import {
  DEVICES,
  type Device,
  DTYPES,
  type Dtype,
  parseDecodeMode,
  parseDevice,
  parseDtype,
} from '../../core/enums.js';
import {UserError} from '../../core/errors.js';
import {type EmbedTuning, RUN_DEFAULTS} from '../../core/run/run-setup.js';

export const modelFlags = {
  model: {type: 'string', default: RUN_DEFAULTS.model},
  dtype: {type: 'string', default: RUN_DEFAULTS.dtype},
  device: {type: 'string', default: RUN_DEFAULTS.device},
} as const satisfies AnyFlags;

export const MODEL_HELP = [
  `--model NAME|PATH     CLIP model: a name under the models folder, or a model folder (default ${RUN_DEFAULTS.model})`,
  `--dtype D             ${DTYPES.join(' | ')} (default ${RUN_DEFAULTS.dtype})`,
  `--device D            ${DEVICES.join(' | ')} (default ${RUN_DEFAULTS.device})`,
];

export function modelFromFlags(flags: {model?: unknown; dtype?: unknown; device?: unknown}): {
  model: string;
  dtype: Dtype;
  device: Device;
} {
  return {
    model: typeof flags.model === 'string' && flags.model !== '' ? flags.model : RUN_DEFAULTS.model,
    dtype: parseDtype(String(flags.dtype ?? RUN_DEFAULTS.dtype)),
    device: parseDevice(String(flags.device ?? RUN_DEFAULTS.device)),
  };
}

export const embedFlags = {
  batchSize: {type: 'number'},
  threads: {type: 'number'},
  sessions: {type: 'number'},
  decode: {type: 'string', default: 'exact'},
  cache: {type: 'boolean', default: true},
  cacheFile: {type: 'string'},
  shardSize: {type: 'number'},
  mergedView: {type: 'boolean', default: true},
  replace: {type: 'boolean', default: false},
} as const satisfies AnyFlags;

export const EMBED_HELP = [
  '--batch-size N        most images per inference batch (default: 8, or 16 with 12+ threads)',
  '--threads N           inference threads (default: every core)',
  '--sessions N          inference sessions sharing those threads (default: 2 for q8 on the CPU with 2+',
  '                      threads, else 1); each holds its own copy of the weights',
  '--decode MODE         exact | fast (default exact): fast decodes JPEGs at a reduced DCT scale first;',
  '                      faster on large photos, close to but not the reference pixels (docs/fidelity.md)',
  '--no-cache            embed every image again instead of reusing cached vectors',
  '--cache-file PATH     the embedding cache (default $VISUAL_CORTEX_CACHE, else ~/.cache/visual-cortex/embeddings.sqlite)',
  '--shard-size N        rows per shard of a new collection (default 4096)',
  "--no-merged-view      skip rewriting the merged view at the end ('visual-cortex merge' writes it later)",
  '--replace             start the collection over (another model, dtype or images folder)',
];

function positiveInteger(value: unknown, flag: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1)
    throw new UserError(`--${flag} must be a positive whole number, got ${value}`, `e.g. --${flag} 8`);
  return value;
}

type EmbedFlagValues = {[K in keyof typeof embedFlags]?: unknown};

/** The embed options, checked (every bad value is a UserError naming its flag), without undefined entries. */
export function embedTuningFromFlags(flags: EmbedFlagValues): EmbedTuning & {batchSize?: number} {
  const tuning: EmbedTuning & {batchSize?: number} = {
    batchSize: positiveInteger(flags.batchSize, 'batch-size'),
    threads: positiveInteger(flags.threads, 'threads'),
    sessions: positiveInteger(flags.sessions, 'sessions'),
    decode: flags.decode === undefined ? undefined : parseDecodeMode(String(flags.decode)),
    shardSize: positiveInteger(flags.shardSize, 'shard-size'),
    cache: typeof flags.cache === 'boolean' ? flags.cache : undefined,
    cacheFile: typeof flags.cacheFile === 'string' && flags.cacheFile !== '' ? flags.cacheFile : undefined,
    mergedView: typeof flags.mergedView === 'boolean' ? flags.mergedView : undefined,
    replace: typeof flags.replace === 'boolean' ? flags.replace : undefined,
  };
  return Object.fromEntries(Object.entries(tuning).filter(([, value]) => value !== undefined));
}
