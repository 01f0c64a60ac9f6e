/** Fidelity of our preprocessing (helper A's clip-preprocess) against the reference pixels on the fixtures. */

import {readFile} from 'node:fs/promises';
import {join} from 'node:path';
import {parsePreprocessorConfig, preprocessImageInto} from '../source/core/image/clip-preprocess.js';
import {comparePixels, PIXELS_PER_IMAGE, type PixelFidelity, readGoldenPixels} from './fidelity.js';

export async function measureOurFidelity(
  modelDir: string,
  images: readonly string[],
  goldenPath: string,
): Promise<PixelFidelity> {
  const config = parsePreprocessorConfig(
    JSON.parse(await readFile(join(modelDir, 'preprocessor_config.json'), 'utf8')),
  );
  const ours = new Float32Array(images.length * PIXELS_PER_IMAGE);
  for (const [index, image] of images.entries()) {
    await preprocessImageInto(image, config, ours, index * PIXELS_PER_IMAGE);
  }
  return comparePixels(ours, await readGoldenPixels(goldenPath), images);
}
