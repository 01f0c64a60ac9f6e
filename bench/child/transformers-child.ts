/**
 * Contender 3: transformers.js end to end, as its documentation shows it (AutoProcessor + the vision model with
 * projection, batches read with RawImage), on the same model files and images. Local files only.
 * Also reports the processor's fidelity on the fixture images when asked.
 */
import {basename, dirname} from 'node:path';
import {AutoProcessor, CLIPVisionModelWithProjection, env, RawImage} from '@huggingface/transformers';
import {childMain, peakRssMb} from '../child-process.js';
import {comparePixels, type PixelFidelity, readGoldenPixels} from '../fidelity.js';

export interface TransformersInput {
  modelDir: string;
  dtype: 'fp32' | 'q8';
  images: string[];
  batchSize: number;
  threads: number;
  /** Fixture images and the golden pixel values to compare the processor against; omitted to skip. */
  fidelity?: {images: string[]; goldenPath: string};
}

export interface TransformersResult {
  images: number;
  seconds: number;
  imagesPerSecond: number;
  loadMs: number;
  peakRssMb: number;
  fidelity?: PixelFidelity;
  /** CPU per image of each phase (the process's, every thread: its phases never overlap). */
  stageCpuMs: {read_decode: number; resample_normalise: number; inference: number; total: number};
}

await childMain<TransformersInput, TransformersResult>(async (input) => {
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = dirname(input.modelDir);
  const id = basename(input.modelDir);
  const loadStarted = performance.now();
  const processor = await AutoProcessor.from_pretrained(id, {local_files_only: true});
  const model = await CLIPVisionModelWithProjection.from_pretrained(id, {
    local_files_only: true,
    dtype: input.dtype,
    device: 'cpu',
    session_options: {intraOpNumThreads: input.threads, interOpNumThreads: 1},
  });
  const loadMs = performance.now() - loadStarted;

  let fidelity: PixelFidelity | undefined;
  if (input.fidelity) {
    const fixtures = await Promise.all(input.fidelity.images.map((path) => RawImage.read(path)));
    const {pixel_values} = await processor(fixtures);
    const golden = await readGoldenPixels(input.fidelity.goldenPath);
    fidelity = comparePixels(pixel_values.data as Float32Array, golden, input.fidelity.images);
  }

  const cpuMs = () => {
    const usage = process.cpuUsage();
    return (usage.user + usage.system) / 1000;
  };
  const spent = {read_decode: 0, resample_normalise: 0, inference: 0};
  const started = performance.now();
  const cpuStarted = cpuMs();
  for (let done = 0; done < input.images.length; done += input.batchSize) {
    const paths = input.images.slice(done, done + input.batchSize);
    let mark = cpuMs();
    const phase = (name: keyof typeof spent) => {
      const now = cpuMs();
      spent[name] += now - mark;
      mark = now;
    };
    const images = await Promise.all(paths.map((path) => RawImage.read(path)));
    phase('read_decode');
    const inputs = await processor(images);
    phase('resample_normalise');
    const {image_embeds} = await model(inputs);
    phase('inference');
    if (image_embeds.dims[0] !== paths.length) throw new Error(`expected ${paths.length} embeddings`);
  }
  const seconds = (performance.now() - started) / 1000;
  const count = input.images.length;
  const stageCpuMs = {
    read_decode: spent.read_decode / count,
    resample_normalise: spent.resample_normalise / count,
    inference: spent.inference / count,
    total: (cpuMs() - cpuStarted) / count,
  };
  await model.dispose();
  return {
    images: input.images.length,
    seconds,
    imagesPerSecond: input.images.length / seconds,
    loadMs,
    peakRssMb: peakRssMb(),
    stageCpuMs,
    ...(fidelity ? {fidelity} : {}),
  };
});
