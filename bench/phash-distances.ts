/**
 * Hamming distances between the perceptual hashes of synthetic photos and of their edited copies (resized,
 * recompressed, cropped, colour-shifted), and between distinct photos: the evidence behind the default threshold.
 * `node --import tsx bench/phash-distances.ts [--photos 40]` prints JSON (min/median/max and the sorted lists).
 */
import {parseArgs} from 'node:util';
import {hammingDistance, perceptualHash} from '../source/core/image/phash.js';
import {COPY_EDITS, decodeRgb, encodeJpeg, renderPhoto} from './synthetic-photos.js';

const {values} = parseArgs({options: {photos: {type: 'string', default: '40'}}});
const photos = Number(values.photos);
const summary = (list: number[]) => {
  const sorted = [...list].sort((a, b) => a - b);
  return {min: sorted[0], median: sorted[Math.floor(sorted.length / 2)], max: sorted.at(-1), sorted};
};
const originals: bigint[] = [];
const copies: Record<string, number[]> = {};
for (let seed = 1; seed <= photos; seed++) {
  const jpeg = await encodeJpeg(renderPhoto(seed));
  const hash = perceptualHash(await decodeRgb(jpeg));
  originals.push(hash);
  for (const [edit, make] of Object.entries(COPY_EDITS)) {
    copies[edit] ??= [];
    copies[edit].push(hammingDistance(hash, perceptualHash(await decodeRgb(await make(jpeg)))));
  }
}
const distinct: number[] = [];
for (let a = 0; a < photos; a++)
  for (let b = a + 1; b < photos; b++) distinct.push(hammingDistance(originals[a]!, originals[b]!));
const report = {
  photos,
  copies: Object.fromEntries(Object.entries(copies).map(([edit, list]) => [edit, summary(list)])),
  distinct: {pairs: distinct.length, ...summary(distinct), sorted: undefined},
};
process.stdout.write(`${JSON.stringify(report, null, 1)}\n`);
