import {readFile} from 'node:fs/promises';
import {join} from 'node:path';
import type {EmbedOptions} from '../../source/core/embed/embed-images.js';
import {readFloat32Matrix, readUnicodeArray} from '../../source/core/npy.js';

export const fixtures = new URL('../fixtures/', import.meta.url);
export const tinyClip = new URL('tiny-clip', fixtures).pathname;
export const fixtureImages = new URL('images', fixtures).pathname;
export const repoRoot = new URL('../../', import.meta.url).pathname;

/** embedImages options for the fixture images and tiny-clip: fp32 on the CPU, batches of 8, 2 threads. */
export function fixtureEmbedOptions(
  work: string,
  overrides: Partial<EmbedOptions> & {embeddingsDir: string},
): EmbedOptions {
  return {
    imagesDir: fixtureImages,
    model: tinyClip,
    modelsDir: join(work, 'no-models'),
    dtype: 'fp32',
    device: 'cpu',
    batchSize: 8,
    threads: 2,
    ...overrides,
  };
}

export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += (a[i] ?? 0) * (b[i] ?? 0);
    na += (a[i] ?? 0) ** 2;
    nb += (b[i] ?? 0) ** 2;
  }
  return dot / Math.sqrt(na * nb);
}

export interface Outputs {
  rows: Float32Array[];
  filenames: string[];
  dims: number;
  metadata: Record<string, unknown> & {counts: Record<string, number>; interrupted: boolean};
}

export async function readOutputs(dir: string): Promise<Outputs> {
  const matrix = readFloat32Matrix(await readFile(join(dir, 'image_embeddings.npy')));
  const filenames = readUnicodeArray(await readFile(join(dir, 'image_filenames.npy')));
  const metadata = JSON.parse(await readFile(join(dir, 'metadata.json'), 'utf8'));
  const rows = Array.from({length: matrix.rows}, (_, row) =>
    matrix.data.slice(row * matrix.columns, (row + 1) * matrix.columns),
  );
  return {rows, filenames, dims: matrix.columns, metadata};
}

/** Golden normalised embeddings by image file name (order of golden/meta.json). */
export async function goldenByName(): Promise<Map<string, Float32Array>> {
  const meta = JSON.parse(await readFile(new URL('golden/meta.json', fixtures), 'utf8')) as {
    images: string[];
  };
  const golden = readFloat32Matrix(await readFile(new URL('golden/image_embeds_normalized.npy', fixtures)));
  return new Map(
    meta.images.map((name, row) => [
      name,
      golden.data.slice(row * golden.columns, (row + 1) * golden.columns),
    ]),
  );
}

/** Cosine of each output row with its golden row, and whether its own golden row is the nearest. */
export async function compareWithGolden(outputs: Outputs) {
  const golden = await goldenByName();
  return outputs.filenames.map((name, row) => {
    const vector = outputs.rows[row] as Float32Array;
    const own = golden.get(name);
    if (!own) throw new Error(`no golden row for ${name}`);
    const ownCosine = cosine(vector, own);
    const nearest = [...golden.entries()].reduce(
      (best, [other, candidate]) => {
        const value = cosine(vector, candidate);
        return value > best.value ? {name: other, value} : best;
      },
      {name: '', value: -2},
    );
    return {name, cosine: ownCosine, nearest: nearest.name};
  });
}
