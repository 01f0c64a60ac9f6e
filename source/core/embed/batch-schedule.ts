/**
 * The order of work in the embed pipeline: up to one batch per inference session in the model at once, plus one
 * being prepared (read, hashed, decoded) beside them; results come out in the order the files were taken. Files
 * come from a stream (`take`), so a batch forms from what is there: the schedule asks for the next batch's length
 * and prepares what it gets. After an abort nothing new starts, and the batches already in the model finish and
 * come out. Memory stays bounded by sessions + 1 batches.
 */
import type {Embedder} from './embedder.js';
import type {FoundFile} from './file-walk.js';
import type {ReadyBatch} from './read-batch.js';

export type Inferred = Awaited<ReturnType<Embedder['infer']>>;

export interface ScheduleOptions<F extends FoundFile> {
  /** Up to `length` files; none when the stream has ended (or the signal fired). */
  take: (length: number) => Promise<F[]>;
  /** Files known to be left, for the shrinking last batches; undefined while the stream's end is unknown. */
  remaining: () => number | undefined;
  batchSize: number;
  sessions: number;
  prepare: (files: F[]) => Promise<ReadyBatch<F>>;
  infer: Embedder['infer'];
  signal?: AbortSignal | undefined;
  /** false: prepare the next batch only after the current one is inferred (for measurements). */
  readAhead?: boolean | undefined;
  /** Called once when an abort stops files already taken, or still to come, from being embedded. */
  onInterrupt: () => void;
  /** Whether the stream still had files when the abort came (default: it had). */
  ended?: () => boolean;
}

export async function* inferBatchesInOrder<F extends FoundFile>(
  options: ScheduleOptions<F>,
): AsyncGenerator<{ready: ReadyBatch<F>; inferred: Inferred}> {
  const {batchSize, sessions} = options;
  const running: {ready: ReadyBatch<F>; inference: Promise<Inferred>}[] = [];
  let started = 0;
  let finished = false;
  let interrupted = false;
  const interrupt = () => {
    if (!interrupted) options.onInterrupt();
    interrupted = true;
    finished = true;
  };
  const prepareFollowing = (): Promise<ReadyBatch<F> | undefined> | undefined => {
    if (finished) return undefined;
    if (options.signal?.aborted) {
      if (!(options.ended?.() ?? false)) interrupt();
      finished = true;
      return undefined;
    }
    const length = nextBatchLength(
      started,
      options.remaining() ?? Number.POSITIVE_INFINITY,
      batchSize,
      sessions,
    );
    const batch = options.take(length).then((files) => {
      if (files.length === 0) {
        finished = true;
        if (options.signal?.aborted && !(options.ended?.() ?? false)) interrupt();
        return undefined;
      }
      started++;
      return options.prepare(files);
    });
    batch.catch(() => {}); // awaited later; this only prevents an unhandled-rejection report
    return batch;
  };
  let next = prepareFollowing();
  while (next !== undefined || running.length > 0) {
    if (next !== undefined && running.length < sessions) {
      const ready = await next;
      next = undefined;
      if (ready === undefined) continue;
      if (options.signal?.aborted) {
        interrupt();
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
