/**
 * How far `--decode fast` drifts from the exact preprocessing: per image set, the pixel tensors' mean and max
 * absolute difference (normalised units) and the embeddings' cosine, fast against exact, on the tiny CLIP and on
 * the full-size ViT-B/32 (random weights, bench/.cache). Prints one JSON object; docs/fidelity.md has the numbers.
 * Usage: node --import tsx bench/fast-decode-drift.ts [images per set, default 8]
 */
import {readFile} from 'node:fs/promises';
import {join} from 'node:path';
import {createEmbedder} from '../source/core/embed/embedder.js';
import {parsePreprocessorConfig, preprocessImage} from '../source/core/image/clip-preprocess.js';
import {benchMixes, ensureMix} from './images.js';
import {ensureModelFolder} from './model-folder.js';
import {FIXTURES} from './suite.js';

const perSet = Number(process.argv[2] ?? 8);
const cache = new URL('./.cache/', import.meta.url).pathname;
const vitB32 = await ensureModelFolder({
  graphsDir: FIXTURES.graphs,
  templateDir: FIXTURES.tinyClip,
  outDir: join(cache, 'models', 'vit-b32'),
  onProgress: (line) => process.stderr.write(`${line}\n`),
});
const fixtureNames = ['photo_640x480.jpg', 'wide_1023x511.jpg', 'gray_320x240.jpg'];
const sets: Record<string, string[]> = {fixtures: fixtureNames.map((name) => join(FIXTURES.images, name))};
for (const mix of benchMixes(false)) {
  const images = await ensureMix(join(cache, 'images'), mix);
  sets[mix.name] = images.slice(0, perSet);
}

const config = parsePreprocessorConfig(
  JSON.parse(await readFile(join(FIXTURES.tinyClip, 'preprocessor_config.json'), 'utf8')),
);

async function pixelDrift(images: string[]) {
  let max = 0;
  let sum = 0;
  let count = 0;
  for (const image of images) {
    const exact = await preprocessImage(image, config);
    const fast = await preprocessImage(image, config, {decode: 'fast'});
    for (let index = 0; index < exact.length; index++) {
      const diff = Math.abs((exact[index] ?? 0) - (fast[index] ?? 0));
      sum += diff;
      if (diff > max) max = diff;
    }
    count += exact.length;
  }
  return {mean_abs: sum / count, max_abs: max};
}

async function embeddingDrift(model: string, images: string[]) {
  const open = (decode: 'exact' | 'fast') =>
    createEmbedder({model, modelsDir: cache, dtype: 'fp32', device: 'cpu', threads: 2, decode});
  const inputs = images.map((path) => ({id: path, data: path}));
  const embed = async (decode: 'exact' | 'fast') => {
    const embedder = await open(decode);
    try {
      return await embedder.embedFiles(inputs);
    } finally {
      await embedder.close();
    }
  };
  const [exact, fast] = [await embed('exact'), await embed('fast')];
  const cosines = exact.map((row, index) => {
    const other = fast[index];
    if (!row.ok || !other?.ok) return Number.NaN;
    let dot = 0;
    for (let k = 0; k < row.vector.length; k++) dot += (row.vector[k] ?? 0) * (other.vector[k] ?? 0);
    return dot;
  });
  return {
    min_cosine: Math.min(...cosines),
    mean_cosine: cosines.reduce((a, b) => a + b, 0) / cosines.length,
  };
}

const result: Record<string, unknown> = {};
for (const [name, images] of Object.entries(sets)) {
  result[name] = {
    images: images.length,
    pixels: await pixelDrift(images),
    tiny_clip: await embeddingDrift(FIXTURES.tinyClip, images),
    vit_b32_random: await embeddingDrift(vitB32, images),
  };
  process.stderr.write(`${name}: ${JSON.stringify(result[name])}\n`);
}
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
