/** Synthetic collections for the collection tests: random unit rows written through the real writer. */
import {createHash} from 'node:crypto';
import {readdir, readFile} from 'node:fs/promises';
import type {ModelFacts} from '../../source/core/collection/types.js';
import {type CollectionWriter, openCollectionWriter} from '../../source/core/collection/writer.js';
import {seededRandom} from '../../source/core/random.js';

export const DIMS = 16;
export const MODEL: ModelFacts = {
  name: 'synthetic',
  path: '/nowhere/synthetic',
  file: 'onnx/vision_model.onnx',
  dtype: 'fp32',
  preprocess_version: 'test-1',
};

export function unitRows(count: number, seed: number, dims = DIMS): Float32Array[] {
  const random = seededRandom(seed);
  return Array.from({length: count}, () => {
    const row = Float32Array.from({length: dims}, () => random() - 0.5);
    const norm = Math.hypot(...row);
    return row.map((value) => value / norm);
  });
}

export function imageFacts(names: readonly string[]) {
  return names.map((name) => ({
    sha256: createHash('sha256').update(name).digest('hex'),
    bytes: name.length,
    mtime_ms: 1,
  }));
}

export async function boundWriter(
  embeddingsDir: string,
  options: {shardSize?: number; imagesDir?: string; model?: ModelFacts; dims?: number} = {},
): Promise<CollectionWriter> {
  const writer = await openCollectionWriter({embeddingsDir, shardSize: options.shardSize ?? 4});
  await writer.bind({
    imagesDir: options.imagesDir ?? '/nowhere/images',
    model: options.model ?? MODEL,
    dims: options.dims ?? DIMS,
  });
  return writer;
}

/** Appends `names` with rows from `seed`, commits, closes; returns the rows. */
export async function appendRows(
  embeddingsDir: string,
  names: string[],
  seed: number,
  shardSize = 4,
): Promise<Float32Array[]> {
  const rows = unitRows(names.length, seed);
  const writer = await boundWriter(embeddingsDir, {shardSize});
  try {
    await writer.append({rows, filenames: names, images: imageFacts(names)});
    await writer.commit();
  } finally {
    await writer.close();
  }
  return rows;
}

/** Temp entries (and a left lock) anywhere under `dir`. */
export async function leftovers(dir: string): Promise<string[]> {
  const names = await readdir(dir, {recursive: true});
  return names.filter((name) => name.split('/').some((part) => part.startsWith('.tmp-') || part === '.lock'));
}

export function concat(rows: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(rows.reduce((sum, row) => sum + row.length, 0));
  let at = 0;
  for (const row of rows) {
    out.set(row, at);
    at += row.length;
  }
  return out;
}

export async function sha256File(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}
