/**
 * Saved set-ups ("presets"): named sets of flag values, kept with conf in the OS config directory
 * (or VISUAL_CORTEX_CONFIG_DIR). A corrupt or outdated file is reported as a UserError naming the file and
 * the fix; it is never cleared behind the user's back, so nothing saved is lost.
 */
import Conf from 'conf';
import {describeError, UserError} from '../errors.js';

/** Bumped when the stored shape changes; files written by a newer version are refused, not rewritten. */
export const PRESET_FORMAT_VERSION = 1;

export type PresetValue = string | number | boolean;
/** Flag values in meow's camelCase, e.g. {provider: 'picsum', count: 200, embeddingsDir: 'out'}. */
export type PresetValues = Record<string, PresetValue>;

export interface Preset {
  name: string;
  values: PresetValues;
  /** ISO time of the last save. */
  savedAt: string;
}

export interface PresetStore {
  /** The config file's path, for messages. */
  readonly path: string;
  list(): Preset[];
  /** The named preset, or undefined when there is none. */
  get(name: string): Preset | undefined;
  save(name: string, values: PresetValues, now?: Date): Preset;
  /** Returns false when there was no such preset. */
  delete(name: string): boolean;
}

export interface PresetStoreOptions {
  /** Directory of the config file; default VISUAL_CORTEX_CONFIG_DIR or the OS config directory. */
  configDir?: string;
  env?: NodeJS.ProcessEnv;
}

interface StoredShape {
  formatVersion: number;
  presets: Record<string, {values: PresetValues; savedAt: string}>;
}

/** Keys presets were saved with before the folders got one name each (issue 23): old key → current key. */
const RENAMED_KEYS: Readonly<Record<string, string>> = {outputDir: 'imagesDir', inputDir: 'sourceDir'};

/**
 * A preset's values with old keys read as their current names. Only on read: the file keeps what was saved
 * until the user saves that preset again.
 */
export function migratePresetValues(values: PresetValues): PresetValues {
  const migrated: PresetValues = {};
  for (const [key, value] of Object.entries(values)) {
    const current = RENAMED_KEYS[key] ?? key;
    // A value saved under the current name wins over one under an old name.
    if (current !== key && Object.hasOwn(values, current)) continue;
    migrated[current] = value;
  }
  return migrated;
}

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Why a preset name cannot be used, or undefined when it is fine. */
export function presetNameProblem(name: string): string | undefined {
  if (NAME_PATTERN.test(name)) return undefined;
  return 'use 1-64 letters, digits, dots, dashes or underscores, starting with a letter or digit';
}

export function openPresetStore(options: PresetStoreOptions = {}): PresetStore {
  const env = options.env ?? process.env;
  const cwd = options.configDir ?? (env.VISUAL_CORTEX_CONFIG_DIR || undefined);
  let conf: Conf<Record<string, unknown>>;
  try {
    conf = new Conf<Record<string, unknown>>({
      projectName: 'visual-cortex',
      projectSuffix: '',
      configName: 'presets',
      ...(cwd === undefined ? {} : {cwd}),
    });
  } catch (error) {
    throw corruptFile(configPathGuess(cwd), describeError(error));
  }
  const path = conf.path;

  const read = (): StoredShape => {
    let raw: Record<string, unknown>;
    try {
      raw = conf.store;
    } catch (error) {
      throw corruptFile(path, describeError(error));
    }
    return checkShape(raw, path);
  };
  const write = (shape: StoredShape): void => {
    try {
      conf.store = shape as unknown as Record<string, unknown>;
    } catch (error) {
      throw new UserError(
        `cannot save presets to ${path}: ${describeError(error)}`,
        'check the directory is writable, or set VISUAL_CORTEX_CONFIG_DIR',
      );
    }
  };

  return {
    path,
    list() {
      return Object.entries(read().presets)
        .map(([name, entry]) => ({name, ...entry, values: migratePresetValues(entry.values)}))
        .sort((a, b) => a.name.localeCompare(b.name));
    },
    get(name) {
      const entry = read().presets[name];
      return entry === undefined ? undefined : {name, ...entry, values: migratePresetValues(entry.values)};
    },
    save(name, values, now = new Date()) {
      const problem = presetNameProblem(name);
      if (problem) throw new UserError(`invalid preset name '${name}'`, problem);
      const shape = read();
      const entry = {values: {...values}, savedAt: now.toISOString()};
      shape.presets[name] = entry;
      write(shape);
      return {name, ...entry};
    },
    delete(name) {
      const shape = read();
      if (shape.presets[name] === undefined) return false;
      delete shape.presets[name];
      write(shape);
      return true;
    },
  };
}

function configPathGuess(cwd: string | undefined): string {
  return cwd === undefined ? 'the visual-cortex presets file' : `${cwd}/presets.json`;
}

function corruptFile(path: string, detail: string): UserError {
  return new UserError(
    `the saved presets file ${path} is corrupt (${detail})`,
    `fix the JSON by hand, or move it aside (mv ${path} ${path}.bak) to start with no presets`,
  );
}

function outdatedFile(path: string, detail: string): UserError {
  return new UserError(
    `the saved presets file ${path} is not in a format this version understands (${detail})`,
    `upgrade visual-cortex, or move the file aside (mv ${path} ${path}.bak) and save the presets again`,
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkShape(raw: Record<string, unknown>, path: string): StoredShape {
  if (Object.keys(raw).length === 0) return {formatVersion: PRESET_FORMAT_VERSION, presets: {}};
  const version = raw.formatVersion;
  if (typeof version !== 'number') throw outdatedFile(path, 'no formatVersion');
  if (version !== PRESET_FORMAT_VERSION)
    throw outdatedFile(path, `formatVersion ${version}, expected ${PRESET_FORMAT_VERSION}`);
  if (!isRecord(raw.presets)) throw corruptFile(path, "'presets' is not an object");
  const presets: StoredShape['presets'] = {};
  for (const [name, entry] of Object.entries(raw.presets)) {
    if (!isRecord(entry) || !isRecord(entry.values) || typeof entry.savedAt !== 'string')
      throw corruptFile(path, `preset '${name}' is malformed`);
    for (const [key, value] of Object.entries(entry.values)) {
      if (!['string', 'number', 'boolean'].includes(typeof value))
        throw corruptFile(path, `preset '${name}' has a non-scalar value for '${key}'`);
    }
    presets[name] = {values: entry.values as PresetValues, savedAt: entry.savedAt};
  }
  return {formatVersion: version, presets};
}
