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
  let started = 0;
  const prepareFollowing = (): Promise<ReadyBatch> | undefined => {
    if (following >= files.length) return undefined;
    const length = nextBatchLength(started++, files.length - following, batchSize, options.sessions);
    const batch = options.prepare(files.slice(following, following + length));
    following += length;
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

/**
 * How many files the next batch takes, so that no core waits at the start or the end. The first batches ramp up
 * (1, 2, 4, ... batchSize): the model starts once one image is ready instead of a whole batch, while the
 * preprocessing worker warms up. With several sessions, the last files are handed out in shrinking batches (half
 * of what is left per session, as in guided self-scheduling), so the sessions finish within about one image of
 * each other instead of one running a whole last batch alone. Rows still come out in file order.
 */
export function nextBatchLength(
  index: number,
  remaining: number,
  batchSize: number,
  sessions: number,
): number {
  const ramped = Math.min(batchSize, 2 ** index);
  const shared = sessions > 1 ? Math.ceil(remaining / sessions) : remaining;
  return Math.max(1, Math.min(ramped, shared, remaining));
}

/** The lengths of every batch a run of `files` files gets (nextBatchLength applied from the first file on). */
export function batchLengths(files: number, batchSize: number, sessions: number): number[] {
  const lengths: number[] = [];
  for (let left = files; left > 0; ) {
    const length = nextBatchLength(lengths.length, left, batchSize, sessions);
    lengths.push(length);
    left -= length;
  }
  return lengths;
}
