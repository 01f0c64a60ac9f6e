/**
 * A pool of preprocessing worker threads (see preprocess-worker.ts) that the split controller grows and parks
 * during a run. Each worker takes one image at a time; requests queue in order. Image bytes are copied in; pixels
 * are written straight into the caller's batch tensor, which lives in shared memory (no per-image tensor is
 * allocated, copied or left for the GC). The first `overlap` workers compute beside inference, as the measured
 * default did; any worker beyond them starts an image only on a core the inference sessions leave idle.
 */
import type {Worker} from 'node:worker_threads';
import {describeError} from '../errors.js';
import type {DecodeMode, PreprocessConfig} from '../image/clip-preprocess.js';
import {startModuleWorker} from '../runtime/start-worker.js';
import type {CoreBudget} from './core-budget.js';

export interface PreprocessRequest {
  id: number;
  data: Uint8Array | string;
  /** Where the pixels go: `target[offset .. offset + tensorLength)`, a view over a SharedArrayBuffer. */
  target: Float32Array;
  offset: number;
  pixelLimit?: number;
}

export type PreprocessResponse =
  | {id: number; ok: true; phash?: string}
  | {id: number; ok: false; reason: string};
/** `phash`: the image's perceptual hash (16 hex digits), computed from the pixels the worker decoded. */
type Outcome = {ok: true; phash?: string} | {ok: false; reason: string};

export interface PreprocessPool {
  /** Workers that may take images now (the controller's choice). */
  readonly size: number;
  /** The most workers it may grow to. */
  readonly maxSize: number;
  /** Resolves once the first workers have loaded their modules (so model-load timings include it). */
  ready: Promise<void>;
  /**
   * Writes the image's pixels into `target` (which must be backed by a SharedArrayBuffer) at `offset`. Resolves
   * to ok or a failure reason (never rejects for a bad image).
   */
  preprocessInto(data: Uint8Array | string, target: Float32Array, offset: number): Promise<Outcome>;
  /** Grows (starting workers as needed) or parks workers; clamped to 1..maxSize. */
  resize(size: number): void;
  /** Workers that compute beside inference (the rest wait for a core inference leaves idle). */
  readonly overlap: number;
  setOverlap(overlap: number): void;
  /** Milliseconds workers spent on images since the last call, summed over workers (images done by then). */
  takeBusyMs(): number;
  close(): Promise<void>;
}

export interface PreprocessPoolOptions {
  /** Most workers (default: the initial size: a fixed pool). */
  max?: number | undefined;
  /** Who computes on the cores; without it every active worker computes whenever it has an image. */
  budget?: CoreBudget | undefined;
  decode?: DecodeMode | undefined;
}

interface Slot {
  worker: Worker;
  started: Promise<void>;
  ready: boolean;
  busy: boolean;
  /** When its current image was handed over. */
  since: number;
}

type Pending = {
  request: PreprocessRequest;
  resolve: (result: Outcome) => void;
  reject: (error: Error) => void;
};

/**
 * Workers to start with, and to let compute beside inference: one per four inference threads (at least 1, at most
 * 8). A worker shares its core with the model's threads, so it delivers far less than a free core would. Measured
 * (320 images, embed fp32 / q8, docs/performance.md "Many cores"): on 16 cores 2 workers left the model waiting
 * (1-1.9 s of 5), 4 ran fp32 at 60-64 images/s in 815 MB, 8 at 55-56 in 1,050 MB. More are added by measurement.
 */
export function defaultPreprocessWorkers(threads: number): number {
  return Math.max(1, Math.min(8, Math.ceil(threads / 4)));
}

/**
 * Whether the worker at `index` may start an image: one of the first `overlap` always may (they compute beside
 * inference, as measured); any other only while a core is free of inference and of the `busy` workers.
 */
export function mayStartImage(state: {
  index: number;
  overlap: number;
  busy: number;
  freeOfInference: number;
}): boolean {
  return state.index < state.overlap || state.freeOfInference - state.busy > 0;
}

export function createPreprocessPool(
  config: PreprocessConfig,
  size: number,
  options: PreprocessPoolOptions = {},
): PreprocessPool {
  const initial = Math.max(1, size);
  let overlap = initial;
  const maxSize = Math.max(initial, options.max ?? initial);
  const budget = options.budget;
  let busyMs = 0;
  const queue: Pending[] = [];
  const inFlight = new Map<number, Pending>();
  const slots: Slot[] = [];
  let active = initial;
  let nextId = 1;
  let broken: Error | undefined;

  const fail = (error: Error) => {
    broken ??= error;
    for (const [id, entry] of inFlight) {
      inFlight.delete(id);
      entry.reject(error);
    }
    for (const entry of queue.splice(0)) entry.reject(error);
  };

  const start = (): Slot => {
    const worker = startModuleWorker(import.meta.url, './preprocess-worker', {
      config,
      decode: options.decode,
    });
    const slot: Slot = {worker, busy: false, ready: false, started: Promise.resolve(), since: 0};
    slot.started = new Promise<void>((resolve, reject) => {
      worker.once('message', () => resolve());
      worker.once('error', reject);
    });
    // Idle workers must not keep the process alive: a worker is ref'd while it starts and while it works.
    worker.on('message', (response: PreprocessResponse | {ready: true}) => {
      if ('ready' in response) {
        slot.ready = true;
        if (!slot.busy) worker.unref();
        pump();
        return;
      }
      const entry = inFlight.get(response.id);
      if (!entry) return;
      inFlight.delete(response.id);
      slot.busy = false;
      busyMs += performance.now() - slot.since;
      worker.unref();
      entry.resolve(response.ok ? {ok: true, phash: response.phash} : {ok: false, reason: response.reason});
      pump();
    });
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`preprocess worker exited (code ${code})`)));
    slots.push(slot);
    return slot;
  };

  const mayCompute = (index: number, busy: number): boolean =>
    budget === undefined || mayStartImage({index, overlap, busy, freeOfInference: budget.freeOfInference});

  const pump = () => {
    if (broken) return;
    let busy = slots.filter((slot) => slot.busy).length;
    for (const [index, slot] of slots.entries()) {
      if (queue.length === 0) return;
      if (index >= active || slot.busy || !slot.ready || !mayCompute(index, busy)) continue;
      const entry = queue.shift() as Pending;
      slot.busy = true;
      slot.since = performance.now();
      busy++;
      inFlight.set(entry.request.id, entry);
      slot.worker.ref();
      // Bytes are copied, not transferred: callers keep their buffers intact.
      slot.worker.postMessage(entry.request);
    }
  };

  for (let index = 0; index < initial; index++) start();
  const unsubscribe = budget?.onFreed(pump);
  const ready = Promise.all(slots.map((slot) => slot.started)).then(() => undefined);
  ready.catch(() => {}); // surfaced through `ready` or the failing requests
  return {
    get size() {
      return active;
    },
    maxSize,
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
    get overlap() {
      return overlap;
    },
    setOverlap(wanted) {
      overlap = Math.max(0, Math.round(wanted));
      pump();
    },
    takeBusyMs() {
      const taken = busyMs;
      busyMs = 0;
      return taken;
    },
    resize(wanted) {
      if (broken) return;
      active = Math.max(1, Math.min(maxSize, Math.round(wanted)));
      while (slots.length < active) start().started.catch(fail);
      pump();
    },
    async close() {
      broken ??= new Error('preprocess pool is closed');
      unsubscribe?.();
      // A pending worker.terminate() does not by itself keep the process alive: seen in a test, the event loop
      // drained with this close pending (about 1 run in 20) and the run's promise never settled. Hold it open.
      const keepAlive = setInterval(() => {}, 1000);
      try {
        // Never terminate a worker that is still starting: it loads native modules then (see preprocess-worker.ts).
        await Promise.allSettled(slots.map((slot) => slot.started));
        await Promise.all(slots.map((slot) => slot.worker.terminate()));
      } finally {
        clearInterval(keepAlive);
      }
    },
  };
}
