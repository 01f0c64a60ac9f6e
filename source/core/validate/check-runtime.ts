/**
 * Check 2: the native pieces load (onnxruntime-node, sharp/libvips; libturbojpeg, where present, decodes as sharp
 * does), the model named in metadata.json is present, its graph takes and returns what the pipeline feeds and
 * reads, and its embedding width equals the matrix's. The libraries are imported here, lazily, so a broken native
 * install is a finding, not a crash.
 */
import {describeError, isUserError} from '../errors.js';
import {JPEG_DECODER_ENV} from '../image/turbojpeg.js';
import type {TensorInfo} from '../runtime/onnx.js';
import {type CheckBody, type CheckContext, Findings, isRecord, type LoadedOutputs} from './check-context.js';
import {SMALL_VALID_PNG} from './probe-images.js';

async function checkLibraries(findings: Findings): Promise<typeof import('../runtime/onnx.js') | undefined> {
  let onnx: typeof import('../runtime/onnx.js') | undefined;
  try {
    onnx = await import('../runtime/onnx.js');
    const devices = onnx
      .deviceAvailability()
      .filter((entry) => entry.available)
      .map((entry) => entry.device);
    findings.ok(`onnxruntime-node ${onnx.onnxRuntimeVersion()} loads (devices: ${devices.join(', ')})`);
  } catch (error) {
    findings.fail(
      `onnxruntime-node does not load: ${describeError(error)} (reinstall with 'npm rebuild onnxruntime-node')`,
    );
    onnx = undefined;
  }
  try {
    const image = await import('../image/sharp-image.js');
    const versions = image.sharpVersions();
    await image.probeImage(SMALL_VALID_PNG);
    findings.ok(`sharp ${versions.sharp} (libvips ${versions.libvips}) loads and decodes`);
  } catch (error) {
    findings.fail(
      `sharp does not load or decode: ${describeError(error)} (reinstall with 'npm rebuild sharp')`,
    );
  }
  await checkJpegDecoder(findings);
  return onnx;
}

async function checkJpegDecoder(findings: Findings): Promise<void> {
  try {
    const jpeg = await (await import('../image/decode-image.js')).jpegDecoderAgreement();
    if ('unavailable' in jpeg) {
      findings.note(
        `JPEGs decode with sharp: ${jpeg.unavailable} (with libturbojpeg, e.g. Debian's libturbojpeg0, the same pixels cost a third to a half of the CPU)`,
      );
    } else if (jpeg.identical) {
      findings.ok(`JPEGs decode with ${jpeg.library}, to the same pixels as sharp (checked on a test image)`);
    } else {
      findings.fail(
        `${jpeg.library} decodes a test JPEG to other pixels than sharp, so JPEG embeddings may be off (set ${JPEG_DECODER_ENV}=sharp and embed again)`,
      );
    }
  } catch (error) {
    findings.fail(`cannot check the JPEG decoder: ${describeError(error)}`);
  }
}

/** The model: --model if given, else metadata's model.path, else its name under the models directory. */
async function resolveModel(context: CheckContext, outputs: LoadedOutputs, findings: Findings) {
  // Loaded here, after the library findings: it needs sharp, and a broken sharp is already reported above.
  let modelFolders: typeof import('../model/model-folder.js');
  try {
    modelFolders = await import('../model/model-folder.js');
  } catch (error) {
    findings.fail(`cannot load the model reader: ${describeError(error)}`);
    return undefined;
  }
  const {isDtype, openModelFolder} = modelFolders;
  const model = outputs.metadata.model;
  if (!isRecord(model)) {
    findings.fail('metadata.json names no model (no "model" object), so the model cannot be checked');
    return undefined;
  }
  const dtype = typeof model.dtype === 'string' ? model.dtype : 'fp32';
  if (!isDtype(dtype)) {
    findings.fail(`metadata.json model.dtype '${dtype}' is not one of fp32, q8, fp16`);
    return undefined;
  }
  const candidates: string[] = [];
  if (context.modelOverride) candidates.push(context.modelOverride);
  else {
    if (typeof model.path === 'string' && model.path) candidates.push(model.path);
    if (typeof model.name === 'string' && model.name) candidates.push(model.name);
  }
  if (candidates.length === 0) {
    findings.fail('metadata.json gives neither model.path nor model.name (pass --model to name the model)');
    return undefined;
  }
  const errors: unknown[] = [];
  for (const candidate of candidates) {
    try {
      const folder = await openModelFolder(candidate, {modelsDir: context.modelsDir, dtype});
      findings.ok(`model ${folder.name} (${dtype}) found at ${folder.dir}`);
      return {folder, dtype};
    } catch (error) {
      errors.push(error);
    }
  }
  // A folder that exists but is incomplete is the real problem; otherwise the name's error has the fix (pull it).
  const reported = errors.find((error) => !/ not found /.test(describeError(error))) ?? errors.at(-1);
  const hint = isUserError(reported) && reported.hint ? `; fix: ${reported.hint}` : '';
  const alsoTried =
    candidates.length > 1 ? ` (metadata's model.path ${candidates[0]} is not usable either)` : '';
  findings.fail(`the model is not available: ${describeError(reported)}${alsoTried}${hint}`);
  return undefined;
}

function describeTensor(tensor: TensorInfo): string {
  return `${tensor.name} ${tensor.type} [${tensor.shape.join(', ')}]`;
}

/** Mirrors the embedder: it feeds one float32 NCHW input and reads `image_embeds` (else the first output). */
function checkGraphIo(inputs: TensorInfo[], outputs: TensorInfo[], pixels: number, findings: Findings) {
  let matches = true;
  const input = inputs.find((tensor) => tensor.name === 'pixel_values') ?? inputs[0];
  const [, channels, height, width] = input?.shape ?? [];
  const fixed = [channels, height, width].every((dim) => typeof dim === 'number' && dim > 0);
  if (
    !input ||
    inputs.length !== 1 ||
    input.type !== 'float32' ||
    input.shape.length !== 4 ||
    (typeof channels === 'number' && channels !== 3) ||
    (fixed && (channels as number) * (height as number) * (width as number) !== pixels)
  ) {
    const found = inputs.map(describeTensor).join('; ') || 'none';
    findings.fail(
      `the vision graph's inputs are ${found}; the pipeline feeds one float32 [batch, 3, H, W] tensor of ${pixels} values per image (pixel_values)`,
    );
    matches = false;
  } else findings.ok(`input ${describeTensor(input)}`);

  const output = outputs.find((tensor) => tensor.name === 'image_embeds') ?? outputs[0];
  if (output?.type !== 'float32' || output.shape.length !== 2) {
    const found = outputs.map(describeTensor).join('; ') || 'none';
    findings.fail(
      `the vision graph's outputs are ${found}; the pipeline reads a float32 [batch, D] embedding (image_embeds)`,
    );
    return {matches: false, dims: undefined};
  }
  findings.ok(`output ${describeTensor(output)}`);
  const dims = typeof output.shape[1] === 'number' && output.shape[1] > 0 ? output.shape[1] : undefined;
  return {matches, dims};
}

export async function checkRuntime(context: CheckContext): Promise<CheckBody> {
  const findings = new Findings();
  const outputs = context.outputs as LoadedOutputs;
  const onnx = await checkLibraries(findings);
  const resolved = await resolveModel(context, outputs, findings);
  if (!resolved || !onnx) return findings.finish('');

  const graphPath = resolved.folder.visionModelPath(resolved.dtype);
  let session: Awaited<ReturnType<typeof onnx.openSession>> | undefined;
  try {
    session = await onnx.openSession(graphPath, {intraOpThreads: 1});
  } catch (error) {
    const hint = isUserError(error) && error.hint ? `; fix: ${error.hint}` : '';
    findings.fail(`the vision graph does not load: ${describeError(error)}${hint}`);
    return findings.finish('');
  }
  try {
    const pixels = 3 * resolved.folder.preprocess.cropHeight * resolved.folder.preprocess.cropWidth;
    const io = checkGraphIo(session.inputs, session.outputs, pixels, findings);
    context.model = {...resolved, dims: io.dims, ioMatches: io.matches};
    if (io.dims === undefined) {
      // A symbolic width is learned by running the model once (the embedder does that as it starts).
      if (io.matches) {
        try {
          context.model.dims = (await context.embedder()).dims;
        } catch (error) {
          findings.fail(`cannot run the model to learn its output width: ${describeError(error)}`);
        }
      }
    }
    const dims = context.model.dims;
    if (dims !== undefined) {
      if (dims === outputs.columns) findings.ok(`model output width ${dims} = matrix columns`);
      else {
        findings.fail(
          `the model outputs ${dims}-d embeddings but image_embeddings.npy has ${outputs.columns} columns: the embeddings were made with a different model (pass --model with the one that made them)`,
        );
      }
    }
  } finally {
    await session.release();
  }
  return findings.finish(
    `runtime loads; model ${resolved.folder.name} (${resolved.dtype}) outputs ${context.model?.dims ?? '?'}-d`,
  );
}
