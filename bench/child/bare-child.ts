/**
 * Contender 1, the ceiling: the bare onnxruntime-node session on tensors made before the clock starts. No
 * decoding, no preprocessing, no queueing: only inference, batch after batch.
 */
import {openSession} from '../../source/core/runtime/onnx.js';
import {childMain, peakRssMb} from '../child-process.js';
import {fillNormal, seedFromText} from '../random.js';

export interface BareInput {
  modelPath: string;
  images: number;
  batchSize: number;
  threads: number;
  warmupBatches: number;
  /** onnxruntime's default (spinning on) when left out. */
  allowSpinning?: boolean;
}

export interface BareResult {
  images: number;
  seconds: number;
  imagesPerSecond: number;
  loadMs: number;
  batchMs: number[];
  peakRssMb: number;
  /** The process's CPU (every inference thread) per image over the timed batches. */
  cpuMsPerImage: number;
}

await childMain<BareInput, BareResult>(async (input) => {
  const loadStarted = performance.now();
  const session = await openSession(input.modelPath, {
    intraOpThreads: input.threads,
    ...(input.allowSpinning !== undefined ? {allowSpinning: input.allowSpinning} : {}),
  });
  const loadMs = performance.now() - loadStarted;
  try {
    const inputName = session.inputs[0]?.name ?? 'pixel_values';
    const pixels = 3 * 224 * 224;
    // Normalised pixel values are roughly standard normal; the content does not change the cost.
    const full = new Float32Array(input.batchSize * pixels);
    fillNormal(full, 0, 1, seedFromText('bare-tensors'));
    const batch = (size: number) => ({
      [inputName]: {
        type: 'float32' as const,
        data: full.subarray(0, size * pixels),
        dims: [size, 3, 224, 224],
      },
    });
    for (let warm = 0; warm < input.warmupBatches; warm++) await session.run(batch(input.batchSize));
    const batchMs: number[] = [];
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    for (let done = 0; done < input.images; done += input.batchSize) {
      const size = Math.min(input.batchSize, input.images - done);
      const batchStarted = performance.now();
      await session.run(batch(size));
      batchMs.push(performance.now() - batchStarted);
    }
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    return {
      cpuMsPerImage: (cpu.user + cpu.system) / 1000 / input.images,
      images: input.images,
      seconds,
      imagesPerSecond: input.images / seconds,
      loadMs,
      batchMs,
      peakRssMb: peakRssMb(),
    };
  } finally {
    await session.release();
  }
});
