/**
 * A model is a folder in the Hugging Face / transformers.js layout. `--model` is either a path to such a folder
 * or a name resolved under the models directory (names may contain '/', like Hub ids).
 */

import {readFile, stat} from 'node:fs/promises';
import {isAbsolute, join, resolve} from 'node:path';
import {UserError} from '../errors.js';
import {type PreprocessConfig, parsePreprocessorConfig} from '../image/clip-preprocess.js';
import {type Dtype, modelFileFor} from './dtype.js';
import {installedName} from './registry.js';

// Dtypes are defined with the graph files they select; most callers know them from here.
export {DTYPES, type Dtype, isDtype, modelFileFor, parseDtype} from './dtype.js';

export const DEFAULT_MODEL = 'ViT-B-32';

/** The models directory: the flag, else $VISUAL_CORTEX_MODELS, else ./models. */
export function resolveModelsDir(
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
  cwd = process.cwd(),
): string {
  const chosen = flag || env.VISUAL_CORTEX_MODELS || 'models';
  return resolve(cwd, chosen);
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

/** What a model folder holds: said whenever a folder given as a path turns out not to be one. */
export const MODEL_FOLDER_CONTENTS =
  'a model folder holds preprocessor_config.json, tokenizer.json and onnx/vision_model.onnx (+ _quantized or _fp16 for other dtypes), as `visual-cortex models pull NAME` installs them under the models directory';

function notAModelHint(dir: string): string {
  return `${dir} is not a model folder: ${MODEL_FOLDER_CONTENTS}; pass --model with a model name (e.g. ViT-B-32) or with such a folder`;
}

function pullHint(name: string, dtype: Dtype, givenAsPath = false): string {
  if (givenAsPath) return notAModelHint(name);
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
  // A folder given by its path gets told what a model folder holds, never to `models pull` its name.
  let asPath = looksLikePath(nameOrPath);
  if (!asPath && (await isDirectory(underModels))) {
    dir = resolve(underModels);
    name = installedNameOrSelf(nameOrPath);
  } else if (await isDirectory(resolve(nameOrPath))) {
    dir = resolve(nameOrPath);
    name = dir.split(/[\\/]/).filter(Boolean).pop() ?? nameOrPath;
    asPath = true;
  } else {
    const checked = asPath ? resolve(nameOrPath) : underModels;
    throw new UserError(
      `model '${nameOrPath}' not found (looked for the folder ${checked})`,
      asPath ? `no folder at ${checked}; ${MODEL_FOLDER_CONTENTS}` : pullHint(nameOrPath, dtype),
    );
  }
  const hint = () => pullHint(asPath ? dir : name, dtype, asPath);

  const preprocessPath = join(dir, 'preprocessor_config.json');
  let preprocessJson: unknown;
  try {
    preprocessJson = JSON.parse(await readFile(preprocessPath, 'utf8'));
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new UserError(
      `model '${name}' has ${missing ? 'no' : 'an unreadable'} preprocessor_config.json (${preprocessPath})`,
      hint(),
    );
  }
  const preprocess = parsePreprocessorConfig(preprocessJson, preprocessPath);

  let config: unknown = null;
  const configPath = join(dir, 'config.json');
  if (await isFile(configPath)) {
    try {
      config = JSON.parse(await readFile(configPath, 'utf8'));
    } catch {
      throw new UserError(`model '${name}' has an unreadable config.json (${configPath})`, hint());
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
        throw new UserError(
          `model '${name}' has no ${dtype} file ${path}`,
          asPath ? `use a --dtype whose files ${dir} holds, or put the missing file there` : hint(),
        );
      }
    }
  }
  return folder;
}
