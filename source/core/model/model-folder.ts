/**
 * A model is a folder in the Hugging Face / transformers.js layout. `--model` is either a path to such a folder
 * or a name resolved under the models directory (names may contain '/', like Hub ids).
 */

import {readFile, stat} from 'node:fs/promises';
import {isAbsolute, join, resolve} from 'node:path';
import type {Dtype} from '../enums.js';
import {UserError} from '../errors.js';
import {type PreprocessConfig, parsePreprocessorConfig} from '../image/clip-preprocess.js';
import {installedName} from './registry.js';

export {DTYPES, type Dtype, isDtype, parseDtype} from '../enums.js';
export const DEFAULT_MODEL = 'ViT-B-32';

const DTYPE_SUFFIX: Record<Dtype, string> = {fp32: '', q8: '_quantized', fp16: '_fp16'};

/** The models directory: the flag, else $VISUAL_CORTEX_MODELS, else ./models. */
export function resolveModelsDir(
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
  cwd = process.cwd(),
): string {
  const chosen = flag || env.VISUAL_CORTEX_MODELS || 'models';
  return resolve(cwd, chosen);
}

/** File of the vision or text graph for a dtype, relative to the model folder. */
export function modelFileFor(kind: 'vision' | 'text', dtype: Dtype): string {
  return `onnx/${kind}_model${DTYPE_SUFFIX[dtype]}.onnx`;
}

export interface ModelFolder {
  name: string;
  dir: string;
  preprocess: PreprocessConfig;
  /** config.json as parsed (the CLIP config), or null when the folder has none. */
  config: unknown;
  visionModelPath(dtype: Dtype): string;
  textModelPath(dtype: Dtype): string;
  tokenizerPath: string;
}

export interface OpenModelOptions {
  modelsDir: string;
  /** When given, the vision graph (and the text graph with needText) for this dtype must exist. */
  dtype?: Dtype;
  needText?: boolean;
}

function looksLikePath(nameOrPath: string): boolean {
  return (
    isAbsolute(nameOrPath) ||
    nameOrPath.startsWith('./') ||
    nameOrPath.startsWith('../') ||
    nameOrPath === '.'
  );
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

function pullHint(name: string, dtype: Dtype): string {
  return `run 'visual-cortex models pull ${name} --dtype ${dtype}', or place the Hugging Face files there by hand (onnx/vision_model*.onnx, preprocessor_config.json, tokenizer.json)`;
}

/** Aliases (`vit-b-32`, `ViT-B/32`, the Hub id) find the folder `models pull` installed; other names stay as given. */
function installedNameOrSelf(nameOrPath: string): string {
  if (looksLikePath(nameOrPath)) return nameOrPath;
  try {
    return installedName(nameOrPath);
  } catch {
    return nameOrPath;
  }
}

export async function openModelFolder(nameOrPath: string, options: OpenModelOptions): Promise<ModelFolder> {
  const dtype = options.dtype ?? 'fp32';
  // A name wins when it exists under the models directory; otherwise an existing folder path is taken as is.
  const underModels = join(options.modelsDir, installedNameOrSelf(nameOrPath));
  let dir: string;
  let name: string;
  if (!looksLikePath(nameOrPath) && (await isDirectory(underModels))) {
    dir = resolve(underModels);
    name = installedNameOrSelf(nameOrPath);
  } else if (await isDirectory(resolve(nameOrPath))) {
    dir = resolve(nameOrPath);
    name = dir.split(/[\\/]/).filter(Boolean).pop() ?? nameOrPath;
  } else {
    const checked = looksLikePath(nameOrPath) ? resolve(nameOrPath) : underModels;
    throw new UserError(
      `model '${nameOrPath}' not found (looked for the folder ${checked})`,
      pullHint(nameOrPath, dtype),
    );
  }

  const preprocessPath = join(dir, 'preprocessor_config.json');
  let preprocessJson: unknown;
  try {
    preprocessJson = JSON.parse(await readFile(preprocessPath, 'utf8'));
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new UserError(
      `model '${name}' has ${missing ? 'no' : 'an unreadable'} preprocessor_config.json (${preprocessPath})`,
      pullHint(name, dtype),
    );
  }
  const preprocess = parsePreprocessorConfig(preprocessJson, preprocessPath);

  let config: unknown = null;
  const configPath = join(dir, 'config.json');
  if (await isFile(configPath)) {
    try {
      config = JSON.parse(await readFile(configPath, 'utf8'));
    } catch {
      throw new UserError(
        `model '${name}' has an unreadable config.json (${configPath})`,
        pullHint(name, dtype),
      );
    }
  }

  const folder: ModelFolder = {
    name,
    dir,
    preprocess,
    config,
    visionModelPath: (chosen) => join(dir, modelFileFor('vision', chosen)),
    textModelPath: (chosen) => join(dir, modelFileFor('text', chosen)),
    tokenizerPath: join(dir, 'tokenizer.json'),
  };
  if (options.dtype !== undefined) {
    const required = [folder.visionModelPath(dtype)];
    if (options.needText) required.push(folder.textModelPath(dtype), folder.tokenizerPath);
    for (const path of required) {
      if (!(await isFile(path))) {
        throw new UserError(`model '${name}' has no ${dtype} file ${path}`, pullHint(name, dtype));
      }
    }
  }
  return folder;
}
