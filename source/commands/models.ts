import {UserError} from '../core/errors.js';
import {listInstalledModels, removeModel} from '../core/model/inventory.js';
import {DEFAULT_MODEL, type Dtype, parseDtype, resolveModelsDir} from '../core/model/model-folder.js';
import {pullModel} from '../core/model/pull.js';
import {verifyModel} from '../core/model/verify.js';
import {defineCommand} from './command.js';
import {EXIT, exitCodeFor} from './exit-codes.js';
import {
  inventoryJson,
  printInventory,
  printPullResult,
  pullProgressPrinter,
  verifyProgressPrinter,
} from './models-output.js';
import {formatBytes, printJson, printLine} from './output.js';

function parseDtypes(values: readonly string[] | undefined): Dtype[] {
  const names = (values ?? []).flatMap((value) => value.split(',')).map((value) => value.trim());
  return names.filter(Boolean).map(parseDtype);
}

export const modelsCommand = defineCommand({
  name: 'models',
  summary: 'list, pull, verify and remove models',
  usage: `
  Usage
    $ visual-cortex models [list]
    $ visual-cortex models pull [NAME] [--dtype fp32|q8|fp16] [--revision REV] [--force]
    $ visual-cortex models verify NAME
    $ visual-cortex models remove NAME

  NAME is ViT-B-32 (the default), ViT-B-16 or ViT-L-14, or any Hugging Face repo id (owner/name) in the
  transformers.js layout (onnx/vision_model*.onnx, onnx/text_model*.onnx, preprocessor_config.json,
  tokenizer.json). Models live in ./models, or --models-dir DIR, or $VISUAL_CORTEX_MODELS.

  pull fetches only the files the chosen dtypes need, resumes interrupted downloads, and checks every file
  against the Hub's SHA-256 before installing it; a model appears only once all its files passed.
  verify re-hashes the files against the manifest; a damaged file is renamed to <file>.corrupt so it is
  never used, and 'models pull NAME' fetches it again.

  Options
    --dtype D         fp32 (default), q8 (quantized, smaller and faster), fp16; repeat or comma-separate
    --revision REV    branch, tag or commit on the Hub (default main)
    --force           download everything again
    --json            print the result as JSON

  Environment
    HF_ENDPOINT       a Hub mirror with the same URL layout (default https://huggingface.co)
    HF_TOKEN          Hugging Face access token, for private or gated repos (sent to the Hub only)

  Examples
    $ visual-cortex models pull ViT-B-32 --dtype q8
    $ HF_ENDPOINT=https://hf-mirror.example models pull ViT-L-14 --dtype fp32,q8
    $ visual-cortex models list --json
`,
  flags: {
    dtype: {type: 'string', isMultiple: true},
    revision: {type: 'string'},
    force: {type: 'boolean', default: false},
  },
  async run({input, flags, io, signal, env}) {
    const [action = 'list', name, ...extra] = input;
    const modelsDir = resolveModelsDir(flags.modelsDir, env);
    if (extra.length > 0)
      throw new UserError(`unexpected arguments: ${extra.join(' ')}`, 'give one model name');
    const needName = (): string => {
      if (name) return name;
      throw new UserError(
        `'models ${action}' needs a model name`,
        `visual-cortex models ${action} ${DEFAULT_MODEL}`,
      );
    };
    switch (action) {
      case 'list': {
        const inventory = await listInstalledModels(modelsDir);
        if (flags.json) printJson(io, inventoryJson(inventory));
        else printInventory(io, inventory);
        return EXIT.done;
      }
      case 'pull': {
        const model = name ?? DEFAULT_MODEL;
        const result = await pullModel({
          modelsDir,
          model,
          dtypes: parseDtypes(flags.dtype),
          revision: flags.revision,
          force: flags.force,
          env,
          signal,
          onEvent: flags.json ? undefined : pullProgressPrinter(io),
        });
        if (result.interrupted) {
          const message = `stopped; run 'visual-cortex models pull ${model}' again to resume`;
          if (flags.json) printJson(io, {...result, message});
          io.stderr.write(`\n${message}\n`);
        } else if (flags.json) printJson(io, result);
        else printPullResult(io, result);
        return exitCodeFor({interrupted: result.interrupted, complete: true});
      }
      case 'verify': {
        const result = await verifyModel({
          modelsDir,
          model: needName(),
          signal,
          onEvent: flags.json ? undefined : verifyProgressPrinter(io),
        });
        if (flags.json) printJson(io, result);
        else
          printLine(
            io,
            result.ok
              ? `${result.name}: all ${result.files.length} files match the manifest`
              : `${result.name}: ${result.files.filter((file) => file.status !== 'ok').length} damaged or missing files; run 'visual-cortex models pull ${result.name}' to fetch them again`,
          );
        return exitCodeFor({interrupted: false, complete: result.ok});
      }
      case 'remove': {
        const removed = await removeModel(modelsDir, needName());
        if (flags.json) printJson(io, {removed});
        else printLine(io, `removed ${removed.name} (${formatBytes(removed.bytes)}) from ${removed.dir}`);
        return EXIT.done;
      }
      default:
        throw new UserError(`unknown action 'models ${action}'`, 'use models list, pull, verify or remove');
    }
  },
});
