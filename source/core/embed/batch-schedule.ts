/**
 * The order of work in the embed pipeline: up to one batch per inference session in the model at once, plus one
 * being prepared (read, hashed, decoded) beside them; results come out in file order. After an abort nothing new
 * starts, and the batches already in the model finish and come out. Memory stays bounded by sessions + 1 batches.
 */
import type {Embedder} from './embedder.js';
import type {FoundFile} from './file-walk.js';
import type {ReadyBatch} from './read-batch.js';

export type Inferred = Awaited<ReturnType<Embedder['infer']>>;

export interface ScheduleOptions {
  files: readonly FoundFile[];
  batchSize: number;
  sessions: number;
  prepare: (files: FoundFile[]) => Promise<ReadyBatch>;
  infer: Embedder['infer'];
  signal?: AbortSignal | undefined;
  /** false: prepare the next batch only after the current one is inferred (for measurements). */
  readAhead?: boolean | undefined;
  /** Called once when an abort stops new batches from starting. */
  onInterrupt: () => void;
}

export async function* inferBatchesInOrder(
  options: ScheduleOptions,
): AsyncGenerator<{ready: ReadyBatch; inferred: Inferred}> {
  const {files, batchSize} = options;
  const running: {ready: ReadyBatch; inference: Promise<Inferred>}[] = [];
  let following = 0;
  const prepareFollowing = (): Promise<ReadyBatch> | undefined => {
    if (following >= files.length) return undefined;
    const batch = options.prepare(files.slice(following, following + batchSize));
    following += batchSize;
    batch.catch(() => {}); // awaited later; this only prevents an unhandled-rejection report
    return batch;
  };
  let next = prepareFollowing();
  while (next !== undefined || running.length > 0) {
    if (next !== undefined && running.length < options.sessions) {
      const ready = await next;
      next = undefined;
      if (options.signal?.aborted) {
        options.onInterrupt();
        continue;
      }
      const inference = options.infer(ready.prepared);
      inference.catch(() => {}); // awaited in order below
      running.push({ready, inference});
      if (options.readAhead === false) await inference;
      next = prepareFollowing();
      continue;
    }
    const {ready, inference} = running.shift() as (typeof running)[number];
    yield {ready, inferred: await inference};
  }
}
