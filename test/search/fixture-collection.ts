/** A folder of outputs made from the golden fixtures: the reference's normalised image embeddings, as embed writes them. */
import {copyFile, mkdtemp, readFile, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join, resolve} from 'node:path';
import {encodeUnicodeArray, readFloat32Matrix} from '../../source/core/npy.js';

export const GOLDEN = 'test/fixtures/golden';
export const MODELS_DIR = 'test/fixtures';

export async function makeFixtureCollection(
  metadata: unknown = {model: {name: 'tiny-clip', path: resolve('test/fixtures/tiny-clip'), dtype: 'fp32'}},
): Promise<{dir: string; images: string[]}> {
  const dir = await mkdtemp(join(tmpdir(), 'vc-search-'));
  const images = (JSON.parse(await readFile(join(GOLDEN, 'meta.json'), 'utf8')) as {images: string[]}).images;
  await copyFile(join(GOLDEN, 'image_embeds_normalized.npy'), join(dir, 'image_embeddings.npy'));
  await writeFile(join(dir, 'image_filenames.npy'), encodeUnicodeArray(images));
  if (metadata !== undefined) await writeFile(join(dir, 'metadata.json'), JSON.stringify(metadata));
  return {dir, images};
}

export async function goldenMatrix(name: string) {
  return readFloat32Matrix(await readFile(join(GOLDEN, name)));
}

export async function goldenTexts(): Promise<string[]> {
  return (JSON.parse(await readFile(join(GOLDEN, 'tokens.json'), 'utf8')) as {texts: string[]}).texts;
}
