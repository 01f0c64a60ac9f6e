import {UserError} from '../errors.js';
import {flagOf} from '../run/run-setup.js';
import {
  openPresetStore,
  type PresetStoreOptions,
  type PresetValue,
  type PresetValues,
} from './preset-store.js';

/** The part of a meow flag definition that presets care about. */
export interface FlagSpec {
  type: 'string' | 'number' | 'boolean';
  isMultiple?: boolean;
}

/** Flags that describe the invocation, not the set-up: never saved in, nor applied from, a preset. */
export const NON_PRESET_FLAGS: ReadonlySet<string> = new Set(['preset', 'json', 'help', 'version']);

export interface AppliedPreset<F> {
  flags: F;
  /** Flag names whose value came from the preset. */
  applied: string[];
  /** Preset keys this command has no flag for (a preset saved from `run` used with `download`, say). */
  ignored: string[];
}

/**
 * Precedence: defaults < preset < explicit flags. meow has already filled defaults, so a preset value replaces
 * a flag only when the user did not type that flag.
 */
export function applyPresetValues<F extends Record<string, unknown>>(options: {
  presetName: string;
  values: PresetValues;
  flags: F;
  explicitFlags: ReadonlySet<string>;
  flagSpecs: Readonly<Record<string, FlagSpec>>;
}): AppliedPreset<F> {
  const flags: Record<string, unknown> = {...options.flags};
  const applied: string[] = [];
  const ignored: string[] = [];
  for (const [name, value] of Object.entries(options.values)) {
    const spec = options.flagSpecs[name];
    if (spec === undefined || spec.isMultiple || NON_PRESET_FLAGS.has(name)) {
      ignored.push(name);
      continue;
    }
    if (options.explicitFlags.has(name)) continue;
    flags[name] = coerce(options.presetName, name, value, spec);
    applied.push(name);
  }
  return {flags: flags as F, applied, ignored};
}

function coerce(presetName: string, name: string, value: PresetValue, spec: FlagSpec): PresetValue {
  if (typeof value === spec.type) return value;
  if (spec.type === 'string') return String(value);
  throw new UserError(
    `preset '${presetName}' sets --${kebab(name)} to ${JSON.stringify(value)}, but it takes a ${spec.type}`,
    `save the preset again: visual-cortex presets save ${presetName} --${kebab(name)} VALUE`,
  );
}

/** The flag a preset key stands for, without the dashes (`imagesDir` → `images`). */
export function kebab(name: string): string {
  return flagOf(name).slice(2);
}

/** Loads the named preset and applies it; a missing preset is a UserError that lists what exists. */
export function resolvePresetFlags<F extends Record<string, unknown>>(options: {
  presetName: string;
  flags: F;
  explicitFlags: ReadonlySet<string>;
  flagSpecs: Readonly<Record<string, FlagSpec>>;
  store?: PresetStoreOptions;
}): AppliedPreset<F> {
  const store = openPresetStore(options.store);
  const preset = store.get(options.presetName);
  if (preset === undefined) {
    const names = store.list().map((entry) => entry.name);
    throw new UserError(
      `no preset named '${options.presetName}'`,
      names.length > 0
        ? `saved presets: ${names.join(', ')}`
        : 'save one first: visual-cortex presets save NAME [run flags]',
    );
  }
  return applyPresetValues({...options, values: preset.values});
}

/** The flag values worth saving: set-up flags only, without undefined ones. */
export function presetValuesFromFlags(
  flags: Record<string, unknown>,
  flagSpecs: Readonly<Record<string, FlagSpec>>,
): PresetValues {
  const values: PresetValues = {};
  for (const [name, value] of Object.entries(flags)) {
    if (NON_PRESET_FLAGS.has(name) || flagSpecs[name] === undefined) continue;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
      values[name] = value;
  }
  return values;
}
