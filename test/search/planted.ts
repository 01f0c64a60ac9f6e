/** A folder of outputs with planted 512-d vectors (tiny-clip's width) and an images folder of subfolders. */
import {mkdir, mkdtemp, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join, resolve} from 'node:path';
import {encodeFloat32Matrix, encodeUnicodeArray} from '../../source/core/npy.js';

/** Row i: cos(row i, row 0) = COSINES[i] (rows are unit vectors in the plane of e0 and e1). */
export const PLANTED: {file: string; cosine: number}[] = [
  {file: 'dogs/a.jpg', cosine: 1},
  {file: 'dogs/b.jpg', cosine: 0.9},
  {file: 'cats/c.jpg', cosine: 0.8},
  {file: 'dogsitter/d.jpg', cosine: 0.95},
  {file: 'dogs/deep/e.jpg', cosine: 0.3},
  {file: 'f.jpg', cosine: -0.5},
];

export async function makePlantedCollection(): Promise<{root: string; dir: string; imagesDir: string}> {
  const root = await mkdtemp(join(tmpdir(), 'vc-planted-'));
  const dir = join(root, 'embeddings');
  const imagesDir = join(root, 'images');
  await mkdir(dir);
  await mkdir(imagesDir);
  const dims = 512;
  const data = new Float32Array(PLANTED.length * dims);
  for (const [row, {cosine}] of PLANTED.entries()) {
    data[row * dims] = cosine;
    data[row * dims + 1] = Math.sqrt(1 - cosine * cosine);
  }
  await writeFile(join(dir, 'image_embeddings.npy'), encodeFloat32Matrix(data, PLANTED.length, dims));
  await writeFile(join(dir, 'image_filenames.npy'), encodeUnicodeArray(PLANTED.map((entry) => entry.file)));
  await writeFile(
    join(dir, 'metadata.json'),
    JSON.stringify({
      model: {name: 'tiny-clip', path: resolve('test/fixtures/tiny-clip'), dtype: 'fp32'},
      input_dir: imagesDir,
    }),
  );
  return {root, dir, imagesDir};
}
