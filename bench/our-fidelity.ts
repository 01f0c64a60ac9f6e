/** Fidelity of our preprocessing (helper A's clip-preprocess) against the reference pixels on the fixtures. */
import {readFile} from 'node:fs/promises';
import {join} from 'node:path';
import {comparePixels, PIXELS_PER_IMAGE, type PixelFidelity, readGoldenPixels} from './fidelity.js';

interface PreprocessModule {
  parsePreprocessorConfig(json: unknown): unknown;
  preprocessImageInto(
    data: Uint8Array | string,
    config: unknown,
    target: Float32Array,
    offset: number,
  ): Promise<unknown>;
}

export async function measureOurFidelity(
  modelDir: string,
  images: readonly string[],
  goldenPath: string,
): Promise<PixelFidelity> {
  // Resolved at run time: the preprocessing module is built in parallel with this benchmark.
  const modulePath = '../source/core/image/clip-preprocess.js';
  const preprocess = (await import(modulePath)) as PreprocessModule;
  const config = preprocess.parsePreprocessorConfig(
    JSON.parse(await readFile(join(modelDir, 'preprocessor_config.json'), 'utf8')),
  );
  const ours = new Float32Array(images.length * PIXELS_PER_IMAGE);
  for (const [index, image] of images.entries()) {
    await preprocess.preprocessImageInto(image, config, ours, index * PIXELS_PER_IMAGE);
  }
  return comparePixels(ours, await readGoldenPixels(goldenPath), images);
}
