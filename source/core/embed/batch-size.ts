import {availableParallelism} from 'node:os';

/**
 * Images per inference batch, by the inference threads it feeds. Measured with ViT-B/32, embed end to end:
 * - 2 cores: 8, 16 and 32 run at the same images/s (8 x 50 tokens already fill the GEMM kernels), and each
 *   halving saves ~25-50 MB of activations and batch tensors.
 * - 16 cores (fp32, 4 preprocessing workers, two rounds): batch 8 62 images/s, 16 70-71, 32 71-74, at a peak RSS
 *   of 773-785, 820-828 and 894 MB. Sixteen threads split a batch-8 operator too thinly; 16 takes most of the gain
 *   for a third of the memory. Between 2 and 16 threads nothing was measured: 12 is where the split gets thin.
 */
export function defaultBatchSize(threads: number): number {
  return threads >= 12 ? 16 : 8;
}

/** The default on this machine, where inference gets every core (what `embed` and `run` do unless told). */
export const DEFAULT_BATCH_SIZE = defaultBatchSize(availableParallelism());
