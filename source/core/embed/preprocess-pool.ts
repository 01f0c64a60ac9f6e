/**
 * A fixed pool of preprocessing worker threads (see preprocess-worker.ts). Each worker takes one image at a
 * time; requests queue in order. Image bytes are copied in; pixels are written straight into the caller's batch
 * tensor, which lives in shared memory (no per-image tensor is allocated, copied or left for the GC).
 */
import type {Worker} from 'node:worker_threads';
import {describeError} from '../errors.js';
import type {PreprocessConfig} from '../image/clip-preprocess.js';
import {startModuleWorker} from '../runtime/start-worker.js';

export interface PreprocessRequest {
  id: number;
  data: Uint8Array | string;
  /** Where the pixels go: `target[offset .. offset + tensorLength)`, a view over a SharedArrayBuffer. */
  target: Float32Array;
  offset: number;
  pixelLimit?: number;
}

export type PreprocessResponse = {id: number; ok: true} | {id: number; ok: false; reason: string};
type Outcome = {ok: true} | {ok: false; reason: string};

export interface PreprocessPool {
  size: number;
  /** Resolves once every worker has loaded its modules (so model-load timings include it). */
  ready: Promise<void>;
  /**
   * Writes the image's pixels into `target` (which must be backed by a SharedArrayBuffer) at `offset`. Resolves
   * to ok or a failure reason (never rejects for a bad image).
   */
  preprocessInto(data: Uint8Array | string, target: Float32Array, offset: number): Promise<Outcome>;
  close(): Promise<void>;
}

interface Slot {
  worker: Worker;
  busy: boolean;
}

type Pending = {
  request: PreprocessRequest;
  resolve: (result: Outcome) => void;
  reject: (error: Error) => void;
};

/**
 * One preprocessing worker per four inference threads (at least 1, at most 8). Exact preprocessing costs ~12
 * core-ms per image against ~100 for fp32 inference, but a worker shares its core with the model's threads, so it
 * delivers far less than a free core would. Measured (320 images, embed fp32 / q8, docs/performance.md, "Many cores"): on 2 cores
 * a second worker adds nothing and ~40 MB; on 16 cores 2 workers leave the model waiting (1-1.9 s of 5), 4 run
 * fp32 at 60-64 images/s in 815 MB, and 8 (the old half-the-threads rule) at 55-56 in 1,050 MB.
 */
export function defaultPreprocessWorkers(threads: number): number {
  return Math.max(1, Math.min(8, Math.ceil(threads / 4)));
}

export function createPreprocessPool(config: PreprocessConfig, size: number): PreprocessPool {
  const queue: Pending[] = [];
  const inFlight = new Map<number, Pending & {slot: Slot}>();
  let nextId = 1;
  let broken: Error | undefined;
  const readiness: Promise<void>[] = [];
  const slots: Slot[] = Array.from({length: Math.max(1, size)}, () => {
    const slot: Slot = {
      worker: startModuleWorker(import.meta.url, './preprocess-worker', {config}),
      busy: false,
    };
    readiness.push(
      new Promise<void>((resolve, reject) => {
        slot.worker.once('message', () => resolve());
        slot.worker.once('error', reject);
      }),
    );
    slot.worker.on('message', (response: PreprocessResponse | {ready: true}) => {
      if ('ready' in response) {
        if (!slot.busy) slot.worker.unref();
        return;
      }
      const entry = inFlight.get(response.id);
      if (!entry) return;
      inFlight.delete(response.id);
      slot.busy = false;
      slot.worker.unref();
      entry.resolve(response.ok ? {ok: true} : {ok: false, reason: response.reason});
      pump();
    });
    const fail = (error: Error) => {
      broken ??= error;
      for (const [id, entry] of inFlight) {
        inFlight.delete(id);
        entry.reject(error);
      }
      for (const entry of queue.splice(0)) entry.reject(error);
    };
    slot.worker.on('error', fail);
    slot.worker.on('exit', (code) => fail(new Error(`preprocess worker exited (code ${code})`)));
    // Idle workers must not keep the process alive: a worker is ref'd while it starts and while it works, so that
    // awaiting it keeps the process alive, and unref'd when idle.
    return slot;
  });

  const pump = () => {
    for (const slot of slots) {
      if (slot.busy) continue;
      const entry = queue.shift();
      if (!entry) return;
      slot.busy = true;
      inFlight.set(entry.request.id, {...entry, slot});
      slot.worker.ref();
      // Bytes are copied, not transferred: callers keep their buffers intact.
      slot.worker.postMessage(entry.request);
    }
  };

  const ready = Promise.all(readiness).then(() => undefined);
  ready.catch(() => {}); // surfaced through `ready` or the failing requests
  return {
    size: slots.length,
    ready,
    preprocessInto(data, target, offset) {
      if (broken) return Promise.reject(new Error(`preprocessing failed: ${describeError(broken)}`));
      if (!(target.buffer instanceof SharedArrayBuffer))
        return Promise.reject(new TypeError('preprocessInto needs a tensor backed by a SharedArrayBuffer'));
      return new Promise((resolve, reject) => {
        queue.push({request: {id: nextId++, data, target, offset}, resolve, reject});
        pump();
      });
    },
    async close() {
      broken ??= new Error('preprocess pool is closed');
      // A pending worker.terminate() does not by itself keep the process alive: seen in a test, the event loop
      // drained with this close pending (about 1 run in 20) and the run's promise never settled. Hold it open.
      const keepAlive = setInterval(() => {}, 1000);
      try {
        // Never terminate a worker that is still starting: it loads native modules then (see preprocess-worker.ts).
        await Promise.allSettled(readiness);
        await Promise.all(slots.map((slot) => slot.worker.terminate()));
      } finally {
        clearInterval(keepAlive);
      }
    },
  };
}
