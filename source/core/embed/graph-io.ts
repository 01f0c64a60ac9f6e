/** Checks of the vision graph's inputs and outputs against what the embedder feeds it and reads back. */
import {UserError} from '../errors.js';
import type {PreprocessConfig} from '../image/clip-preprocess.js';
import type {TensorInfo} from '../runtime/onnx.js';

/** The tensor named `preferred`, else the first; a graph with none has been damaged. */
export function pickTensor(tensors: TensorInfo[], preferred: string, what: string): TensorInfo {
  const chosen = tensors.find((tensor) => tensor.name === preferred) ?? tensors[0];
  if (!chosen) throw new UserError(`the vision model has no ${what}`, 're-pull the model');
  return chosen;
}

/** Channels, height, width of one image: the preprocessor's crop, checked against the graph's input shape. */
export function imageShape(input: TensorInfo, config: PreprocessConfig): [number, number, number] {
  const [, channels, height, width] = input.shape;
  const fixed = [channels, height, width].map((dim) =>
    typeof dim === 'number' && dim > 0 ? dim : undefined,
  );
  const expected = [3, config.cropHeight, config.cropWidth];
  if (fixed.some((dim, index) => dim !== undefined && dim !== expected[index])) {
    throw new UserError(
      `the model expects ${input.shape.slice(1).join('x')} images but preprocessor_config.json crops to 3x${config.cropHeight}x${config.cropWidth}`,
      'check that preprocessor_config.json belongs to this model',
    );
  }
  return [3, config.cropHeight, config.cropWidth];
}
