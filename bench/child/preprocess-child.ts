/**
 * Where preprocessing time goes, per image and per image size: read + hash, decoding alone (as embed decodes:
 * libturbojpeg where present, else sharp; runs before 2026-11-27's run 12 timed sharp), and our whole
 * preprocessImageInto (decode, resize, crop, normalise), one image at a time with one libvips thread, in both
 * wall and CPU milliseconds. On a 2-core machine every CPU millisecond spent here is taken from inference.
 */

import {createHash} from 'node:crypto';
import {readFile} from 'node:fs/promises';
import {join} from 'node:path';
import {
  parsePreprocessorConfig,
  preprocessImageInto,
  shrinkFitsFor,
} from '../../source/core/image/clip-preprocess.js';
import {decodeImageRgbWith} from '../../source/core/image/decode-image.js';
import {configureImageThreads, DEFAULT_PIXEL_LIMIT} from '../../source/core/image/sharp-image.js';
import {childMain} from '../child-process.js';
import {PIXELS_PER_IMAGE} from '../fidelity.js';

export interface PreprocessChildInput {
  modelDir: string;
  sets: {name: string; images: string[]}[];
  /** Images measured per set (the first ones). */
  limit?: number;
}

export interface StageCost {
  wallMs: number;
  cpuMs: number;
}

export interface PreprocessChildResult {
  /** Per set: milliseconds per image. */
  sets: Record<
    string,
    {
      images: number;
      readAndHash: StageCost;
      decode: StageCost;
      preprocess: StageCost;
      /** --decode fast: decoding at the reduced DCT scale, and the whole preprocessing with it. */
      decodeFast: StageCost;
      preprocessFast: StageCost;
    }
  >;
}

async function cost(count: number, work: (index: number) => Promise<unknown>): Promise<StageCost> {
  // One untimed pass first: caches, lazy initialisation, and the JIT (the first few dozen promise-based file reads
  // ran ~10x slower than the rest on one host).
  for (let index = 0; index < count; index++) await work(index);
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let index = 0; index < count; index++) await work(index);
  const used = process.cpuUsage(cpu);
  return {wallMs: (performance.now() - started) / count, cpuMs: (used.user + used.system) / 1000 / count};
}

await childMain<PreprocessChildInput, PreprocessChildResult>(async (input) => {
  configureImageThreads(1);
  const config = parsePreprocessorConfig(
    JSON.parse(await readFile(join(input.modelDir, 'preprocessor_config.json'), 'utf8')),
  );
  const target = new Float32Array(PIXELS_PER_IMAGE);
  const sets: PreprocessChildResult['sets'] = {};
  for (const set of input.sets) {
    const images = set.images.slice(0, input.limit ?? 16);
    const bytes = await Promise.all(images.map((path) => readFile(path)));
    const at = (index: number) => bytes[index % bytes.length]!;
    sets[set.name] = {
      images: images.length,
      readAndHash: await cost(images.length, async (index) =>
        createHash('sha256')
          .update(await readFile(images[index % images.length]!))
          .digest(),
      ),
      decode: await cost(images.length, (index) =>
        decodeImageRgbWith(at(index), DEFAULT_PIXEL_LIMIT, () => undefined),
      ),
      preprocess: await cost(images.length, (index) => preprocessImageInto(at(index), config, target, 0)),
      decodeFast: await cost(images.length, (index) =>
        decodeImageRgbWith(at(index), DEFAULT_PIXEL_LIMIT, () => undefined, shrinkFitsFor(config)),
      ),
      preprocessFast: await cost(images.length, (index) =>
        preprocessImageInto(at(index), config, target, 0, {decode: 'fast'}),
      ),
    };
  }
  return {sets};
});
