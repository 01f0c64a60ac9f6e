/**
 * Every closed set of names the user picks from (providers, dtypes, devices, decode modes), defined once with its
 * parser, so flags, the set-up screen, presets and the engine cannot disagree.
 */
import {UserError} from './errors.js';

export const PROVIDERS = ['picsum', 'unsplash', 'custom', 'urls', 'local'] as const;
export type Provider = (typeof PROVIDERS)[number];

export const DTYPES = ['fp32', 'q8', 'fp16'] as const;
export type Dtype = (typeof DTYPES)[number];

export const DEVICES = ['cpu', 'cuda', 'coreml', 'dml', 'webgpu'] as const;
export type Device = (typeof DEVICES)[number];

/**
 * `exact`: the reference's pixels. `fast`: JPEGs decoded at a reduced DCT scale first (decode-image.ts), then the
 * same resampler; close to the reference, not equal (docs/fidelity.md, "Fast decode").
 */
export const DECODE_MODES = ['exact', 'fast'] as const;
export type DecodeMode = (typeof DECODE_MODES)[number];

const isOneOf = <T extends string>(values: readonly T[], value: string): value is T =>
  (values as readonly string[]).includes(value);

export function isProvider(value: string): value is Provider {
  return isOneOf(PROVIDERS, value);
}

export function parseProvider(value: string): Provider {
  if (isProvider(value)) return value;
  throw new UserError(`unknown provider '${value}'`, `use one of: ${PROVIDERS.join(', ')}`);
}

export function isDtype(value: string): value is Dtype {
  return isOneOf(DTYPES, value);
}

export function parseDtype(value: string): Dtype {
  if (isDtype(value)) return value;
  throw new UserError(`unknown dtype '${value}'`, `use --dtype ${DTYPES.join(', --dtype ')}`);
}

export function isDevice(value: string): value is Device {
  return isOneOf(DEVICES, value);
}

export function parseDevice(value: string): Device {
  if (isDevice(value)) return value;
  throw new UserError(
    `unknown device '${value}'`,
    `use --device ${DEVICES.join(' | ')} (cpu works everywhere)`,
  );
}

export function parseDecodeMode(value: string): DecodeMode {
  if (isOneOf(DECODE_MODES, value)) return value;
  throw new UserError(
    `unknown decode mode '${value}'`,
    'use --decode exact (the reference pixels, the default) or --decode fast (reduced JPEG scale first)',
  );
}
