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

  const started = performance.now();
  for (let done = 0; done < input.images.length; done += input.batchSize) {
    const paths = input.images.slice(done, done + input.batchSize);
    const images = await Promise.all(paths.map((path) => RawImage.read(path)));
    const inputs = await processor(images);
    const {image_embeds} = await model(inputs);
    if (image_embeds.dims[0] !== paths.length) throw new Error(`expected ${paths.length} embeddings`);
  }
  const seconds = (performance.now() - started) / 1000;
  await model.dispose();
  return {
    images: input.images.length,
    seconds,
    imagesPerSecond: input.images.length / seconds,
    loadMs,
    peakRssMb: peakRssMb(),
    ...(fidelity ? {fidelity} : {}),
  };
});
