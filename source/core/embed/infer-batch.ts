/**
 * The embedder's second half: running a prepared batch through the vision model and giving every input its
 * result, in order. It owns the embedding width, because some graphs leave it symbolic and only a run tells it.
 */
import {type PreprocessConfig, tensorLength} from '../image/clip-preprocess.js';
import {imageShape, pickTensor} from './graph-io.js';
import type {PreparedBatch} from './preprocess-batch.js';
import type {SessionPool} from './session-pool.js';
import type {TensorSlots} from './tensor-slots.js';

export type EmbedResult =
  | {id: string; ok: true; vector: Float32Array; phash?: string}
  | {id: string; ok: false; reason: string};

export interface BatchInference {
  /** The embedding width: the graph's, or the last run's where the graph leaves it symbolic. */
  readonly dims: number;
  /** Runs a prepared batch through the model and gives its tensor back to `slots`; vectors are L2-normalised. */
  infer(batch: PreparedBatch): Promise<{results: EmbedResult[]; inferenceMs: number}>;
}

export function l2Normalise(vector: Float32Array): Float32Array {
  let sum = 0;
  for (const value of vector) sum += value * value;
  const norm = Math.sqrt(sum);
  if (norm > 0)
    for (let index = 0; index < vector.length; index++) vector[index] = (vector[index] ?? 0) / norm;
  return vector;
}

/** Checks the graph's input and output against `config`; runs a blank image when the width is not in the graph. */
export async function createBatchInference(
  sessions: SessionPool,
  config: PreprocessConfig,
  slots: TensorSlots,
): Promise<BatchInference> {
  const input = pickTensor(sessions.inputs, 'pixel_values', 'input');
  const output = pickTensor(sessions.outputs, 'image_embeds', 'output');
  const perImage = tensorLength(config);
  const [channels, height, width] = imageShape(input, config);

  let dims = typeof output.shape[1] === 'number' && output.shape[1] > 0 ? output.shape[1] : 0;

  const infer = async (batch: PreparedBatch): Promise<{results: EmbedResult[]; inferenceMs: number}> => {
    let vectors: Float32Array | undefined;
    let inferenceMs = 0;
    try {
      if (batch.count > 0) {
        const result = await sessions.run(input.name, output.name, batch.tensor, [
          batch.count,
          channels,
          height,
          width,
        ]);
        inferenceMs = result.ms;
        dims = result.dims[1] ?? 0;
        vectors = result.data;
      }
    } finally {
      slots.release(batch.tensor);
    }
    let row = 0;
    const results = batch.items.map((item): EmbedResult => {
      if (!item.ok) return item;
      const vector = l2Normalise((vectors as Float32Array).slice(row * dims, (row + 1) * dims));
      row++;
      return {id: item.id, ok: true, vector, ...(item.phash === undefined ? {} : {phash: item.phash})};
    });
    return {results, inferenceMs};
  };

  if (dims === 0) {
    // The graph leaves the embedding width symbolic: learn it from one run on a blank image.
    const probe = {items: [{id: 'probe', ok: true as const}], tensor: new Float32Array(perImage), count: 1};
    await infer({...probe, preprocessMs: 0});
  }

  return {
    get dims() {
      return dims;
    },
    infer,
  };
}
