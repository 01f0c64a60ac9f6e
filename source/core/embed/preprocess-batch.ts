/**
 * The embedder's first half: decoding and preprocessing one batch into one tensor for the model. It is apart from
 * inference (infer-batch.ts) because the two run on different batches at once: the embed pipeline prepares the
 * next batch while the model runs the current one.
 */
import {describeError} from '../errors.js';
import {
  type DecodeMode,
  type PreprocessConfig,
  preprocessImageInto,
  tensorLength,
} from '../image/clip-preprocess.js';
import {mapWithConcurrency} from './concurrency.js';
import type {PreprocessPool} from './preprocess-pool.js';
import type {TensorSlots} from './tensor-slots.js';

export interface EmbedInput {
  id: string;
  data: Uint8Array | string;
}

/** A batch whose pixels are ready for the model: the tensor holds only the items that decoded. */
export interface PreparedBatch {
  /** Every input in order; `ok: false` ones failed preprocessing. */
  items: ({id: string; ok: true; phash?: string} | {id: string; ok: false; reason: string})[];
  tensor: Float32Array;
  count: number;
  preprocessMs: number;
  /** When its pixels were ready (performance.now()), so the split controller can tell how long it waited. */
  readyAt?: number;
}

/**
 * Returns the embedder's `prepare`. `pool`: the preprocessing workers, or undefined to preprocess on the calling
 * thread. `slots` hold tensors of `batchSize` images.
 */
export function batchPreprocessor(
  config: PreprocessConfig,
  pool: PreprocessPool | undefined,
  tensors: {batchSize: number; slots: TensorSlots; decode?: DecodeMode | undefined},
): (inputs: EmbedInput[]) => Promise<PreparedBatch> {
  const {batchSize, slots, decode} = tensors;
  const perImage = tensorLength(config);
  /** Returns the image's perceptual hash (hex), made from the same decode. */
  const preprocessInto = async (
    item: EmbedInput,
    tensor: Float32Array,
    offset: number,
  ): Promise<string | undefined> => {
    if (!pool) return (await preprocessImageInto(item.data, config, tensor, offset, {decode})).phash;
    const result = await pool.preprocessInto(item.data, tensor, offset);
    if (!result.ok) throw new Error(result.reason);
    return result.phash;
  };

  return async (inputs) => {
    const begin = performance.now();
    // A batch larger than batchSize (a caller's choice) gets a one-off tensor.
    const tensor =
      inputs.length <= batchSize
        ? slots.acquire()
        : new Float32Array(new SharedArrayBuffer(inputs.length * perImage * 4));
    // Enough in flight to keep every worker the pool may grow to busy (two on the calling thread, where decoding
    // is off-thread).
    const outcomes = await mapWithConcurrency(inputs, pool?.maxSize ?? 2, async (item, slot) => {
      try {
        return {phash: await preprocessInto(item, tensor, slot * perImage)};
      } catch (error) {
        return {reason: describeError(error) as string};
      }
    });
    // Compact: decoded images first, in input order, with no gaps.
    let count = 0;
    const items: PreparedBatch['items'] = inputs.map((item, slot) => {
      const outcome: {phash?: string | undefined; reason?: string} = outcomes[slot]!;
      if (outcome.reason !== undefined) return {id: item.id, ok: false, reason: outcome.reason};
      if (slot !== count) tensor.copyWithin(count * perImage, slot * perImage, (slot + 1) * perImage);
      count++;
      return outcome.phash === undefined
        ? {id: item.id, ok: true}
        : {id: item.id, ok: true, phash: outcome.phash};
    });
    return {
      items,
      tensor: tensor.subarray(0, count * perImage),
      count,
      preprocessMs: performance.now() - begin,
      readyAt: performance.now(),
    };
  };
}
