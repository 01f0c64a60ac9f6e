/**
 * Long loops over rows hand the event loop back every ~50 ms (so Ctrl+C, progress and the dashboard stay live),
 * report progress then, and learn whether to stop.
 */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export interface PaceOptions {
  signal?: AbortSignal;
  onProgress?: (fraction: number) => void;
}

/** Returns a check to call often with the fraction done: it resolves false once the signal has aborted. */
export function pacer(options: PaceOptions, intervalMs = 50): (fraction: number) => Promise<boolean> {
  let last = performance.now();
  return async (fraction) => {
    if (performance.now() - last < intervalMs) return true;
    options.onProgress?.(fraction);
    await yieldToEventLoop();
    last = performance.now();
    return !options.signal?.aborted;
  };
}
