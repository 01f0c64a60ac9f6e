/**
 * The embedder the embed pipeline opens for itself when its caller brings none. Its defaults are not
 * createEmbedder's because the pipeline overlaps preparing one batch with inferring another: sessions follow the
 * dtype (see defaultSessions), and inference threads do not spin while batches overlap.
 */
import {availableParallelism} from 'node:os';
import {createEmbedder, type Embedder, type EmbedderOptions} from './embedder.js';
import {defaultSessions} from './session-pool.js';

/** `readAhead`: whether the pipeline prepares the next batch during inference (default true). */
export function createPipelineEmbedder(
  options: EmbedderOptions & {readAhead?: boolean | undefined},
): Promise<Embedder> {
  return createEmbedder({
    model: options.model,
    modelsDir: options.modelsDir,
    dtype: options.dtype,
    device: options.device,
    batchSize: options.batchSize,
    threads: options.threads,
    sessions:
      options.sessions ??
      defaultSessions(options.dtype, options.threads ?? availableParallelism(), options.device),
    preprocessWorkers: options.preprocessWorkers,
    decode: options.decode,
    // Idle inference threads spin by default; while the next batch decodes beside them that spinning takes
    // the cores decoding needs, so it is off whenever batches overlap.
    tuning: {allowSpinning: options.readAhead === false, ...options.tuning},
  });
}
