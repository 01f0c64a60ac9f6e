/** Real JPEGs and their collection, written through the collection writer (no model) for the duplicates tests. */
import {createHash} from 'node:crypto';
import {mkdir, readFile, stat, writeFile} from 'node:fs/promises';
import {join} from 'node:path';
import {COPY_EDITS, decodeRgb, encodeJpeg, renderPhoto} from '../../bench/synthetic-photos.js';
import {openCollectionWriter} from '../../source/core/collection/writer.js';
import {perceptualHash, phashToHex} from '../../source/core/image/phash.js';
import {MODEL, unitRows} from '../collection/helpers.js';

const DIMS = 16;

/**
 * A collection of real JPEGs (three photos, each with two edited copies, plus two distinct photos) written through
 * the collection writer with their perceptual hashes, and its merged view; no model needed.
 */
export async function makePhotoCollection(
  root: string,
): Promise<{images: string; embeddings: string; files: string[]}> {
  const images = join(root, 'images');
  const embeddings = join(root, 'embeddings');
  await mkdir(join(images, 'copies'), {recursive: true});
  const files: string[] = [];
  for (let seed = 1; seed <= 5; seed++) {
    const original = await encodeJpeg(renderPhoto(seed, 400, 300));
    await writeFile(join(images, `photo-${seed}.jpg`), original);
    files.push(`photo-${seed}.jpg`);
    if (seed > 3) continue;
    for (const edit of ['JPEG quality 30', 'resized to half']) {
      const file = `copies/photo-${seed}-${edit.split(' ')[0]}.jpg`;
      await writeFile(join(images, file), await COPY_EDITS[edit]!(original));
      files.push(file);
    }
  }
  const facts = await Promise.all(
    files.map(async (file) => {
      const bytes = await readFile(join(images, file));
      return {
        sha256: createHash('sha256').update(bytes).digest('hex'),
        bytes: bytes.length,
        mtime_ms: Math.floor((await stat(join(images, file))).mtimeMs),
        phash: phashToHex(perceptualHash(await decodeRgb(bytes))),
      };
    }),
  );
  const writer = await openCollectionWriter({embeddingsDir: embeddings, shardSize: 4});
  try {
    await writer.bind({imagesDir: images, model: MODEL, dims: DIMS});
    await writer.append({rows: unitRows(files.length, 7), filenames: files, images: facts});
    await writer.commit();
    await writer.writeMergedView();
  } finally {
    await writer.close();
  }
  return {images, embeddings, files};
}
