/**
 * Who computes on the cores right now: the threads of the inference sessions running a batch, and the
 * preprocessing workers holding an image. The preprocessing pool starts an image on a worker beyond its overlap
 * allowance only on a core this leaves free (preprocess-pool.ts): threads move to preprocessing while the model
 * waits for batches and back when it runs, and the split never puts more threads on the cores than the
 * allowance already does. It also integrates how long sessions sat idle, the split controller's main signal.
 */
export interface CoreBudget {
  readonly cores: number;
  /** Inference threads computing now. */
  readonly inferring: number;
  /** Cores free of inference; the pool subtracts its own busy workers. */
  readonly freeOfInference: number;
  /** The session pool calls these around each run (threads: that session's intra-op threads). */
  inferenceStarted(threads: number): void;
  inferenceEnded(threads: number): void;
  /** Runs `listener` whenever inference frees cores; returns the unsubscribe. */
  onFreed(listener: () => void): () => void;
  /** Session-milliseconds spent idle (no batch to run) since the last call, and resets the count. */
  takeSessionIdleMs(): number;
}

/** `sessions`: how many sessions the pool holds (all idle at first); `clock`: monotonic milliseconds. */
export function createCoreBudget(
  cores: number,
  sessions: number,
  clock: () => number = () => performance.now(),
): CoreBudget {
  let inferring = 0;
  let running = 0;
  let idleMs = 0;
  let since = clock();
  const listeners = new Set<() => void>();
  const settle = () => {
    const now = clock();
    idleMs += Math.max(0, sessions - running) * (now - since);
    since = now;
  };
  return {
    cores,
    get inferring() {
      return inferring;
    },
    get freeOfInference() {
      return cores - inferring;
    },
    inferenceStarted(threads) {
      settle();
      running++;
      inferring += threads;
    },
    inferenceEnded(threads) {
      settle();
      running = Math.max(0, running - 1);
      inferring = Math.max(0, inferring - threads);
      for (const listener of listeners) listener();
    },
    onFreed(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    takeSessionIdleMs() {
      settle();
      const taken = idleMs;
      idleMs = 0;
      return taken;
    },
  };
}
