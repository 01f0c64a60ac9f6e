/** Preprocessing fidelity: a contender's pixel tensors against the reference (HF CLIPImageProcessor) values. */

import {readFile} from 'node:fs/promises';
import {basename} from 'node:path';
import {gunzipSync} from 'node:zlib';
import {parseNpy} from '../source/core/npy.js';

export const PIXELS_PER_IMAGE = 3 * 224 * 224;

export interface PixelFidelity {
  /** Largest |ours - reference| over all fixture images (normalised units; 1/255 of a pixel is about 0.015). */
  maxAbs: number;
  meanAbs: number;
  perImageMaxAbs: Record<string, number>;
}

export async function readGoldenPixels(path: string): Promise<Float32Array> {
  const array = parseNpy(gunzipSync(await readFile(path)));
  if (array.descr !== '<f4') throw new Error(`${path}: expected float32, found ${array.descr}`);
  return new Float32Array(new Uint8Array(array.payload).buffer);
}

export function comparePixels(
  ours: Float32Array,
  golden: Float32Array,
  images: readonly string[],
): PixelFidelity {
  if (ours.length !== images.length * PIXELS_PER_IMAGE) {
    throw new Error(`expected ${images.length} x 3 x 224 x 224 values, got ${ours.length}`);
  }
  let maxAbs = 0;
  let sumAbs = 0;
  const perImageMaxAbs: Record<string, number> = {};
  images.forEach((image, row) => {
    let imageMax = 0;
    for (let index = row * PIXELS_PER_IMAGE; index < (row + 1) * PIXELS_PER_IMAGE; index++) {
      const diff = Math.abs((ours[index] ?? Number.NaN) - (golden[index] ?? Number.NaN));
      sumAbs += diff;
      if (!(diff <= imageMax)) imageMax = diff;
    }
    perImageMaxAbs[basename(image)] = imageMax;
    if (!(imageMax <= maxAbs)) maxAbs = imageMax;
  });
  return {maxAbs, meanAbs: sumAbs / ours.length, perImageMaxAbs};
}

/** The fixture images in the order of the golden tensors. */
export async function fixtureImageOrder(goldenDir: string, imagesDir: string): Promise<string[]> {
  const meta = JSON.parse(await readFile(`${goldenDir}/meta.json`, 'utf8')) as {images: string[]};
  return meta.images.map((name) => `${imagesDir}/${name}`);
}
