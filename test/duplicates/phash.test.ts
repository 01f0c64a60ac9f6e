import assert from 'node:assert/strict';
import {test} from 'node:test';
import {COPY_EDITS, decodeRgb, encodeJpeg, renderPhoto} from '../../bench/synthetic-photos.js';
import {DEFAULT_PHASH_THRESHOLD} from '../../source/core/duplicates/find-duplicates.js';
import {
  hammingDistance,
  perceptualHash,
  phashFromHex,
  phashFromWords,
  phashToHex,
  phashWords,
  popcount32,
  type RgbImage,
} from '../../source/core/image/phash.js';
import {seededRandom} from '../../source/core/random.js';

/** The algorithm as documented, written the slow obvious way, for images small enough to need no striding. */
function referenceHash(image: RgbImage): bigint {
  const {data, width, height} = image;
  const grey = new Float64Array(32 * 32);
  for (let cy = 0; cy < 32; cy++) {
    for (let cx = 0; cx < 32; cx++) {
      const [x0, x1] = [Math.floor((cx * width) / 32), Math.floor(((cx + 1) * width) / 32)];
      const [y0, y1] = [Math.floor((cy * height) / 32), Math.floor(((cy + 1) * height) / 32)];
      let sum = 0;
      for (let y = y0; y < y1; y++)
        for (let x = x0; x < x1; x++) {
          const o = (y * width + x) * 3;
          sum += 0.299 * data[o]! + 0.587 * data[o + 1]! + 0.114 * data[o + 2]!;
        }
      grey[cy * 32 + cx] = sum / ((x1 - x0) * (y1 - y0));
    }
  }
  const kept: number[] = [];
  for (let v = 1; v <= 8; v++)
    for (let u = 1; u <= 8; u++) {
      let sum = 0;
      for (let y = 0; y < 32; y++)
        for (let x = 0; x < 32; x++)
          sum +=
            grey[y * 32 + x]! *
            Math.cos((Math.PI * (2 * x + 1) * u) / 64) *
            Math.cos((Math.PI * (2 * y + 1) * v) / 64);
      kept.push(sum);
    }
  const sorted = [...kept].sort((a, b) => a - b);
  const median = (sorted[31]! + sorted[32]!) / 2;
  return kept.reduce((hash, value, bit) => (value > median ? hash | (1n << BigInt(bit)) : hash), 0n);
}

test('the hash is the documented algorithm (box average, luma, DCT rows/columns 1-8, median)', () => {
  for (const [seed, width, height] of [
    [1, 64, 64],
    [2, 96, 128],
    [3, 160, 96],
  ] as const) {
    const image = renderPhoto(seed, width, height);
    assert.equal(phashToHex(perceptualHash(image)), phashToHex(referenceHash(image)), `seed ${seed}`);
  }
});

test('tiny, flat and malformed images', () => {
  const random = seededRandom(5);
  const tiny = {data: Uint8Array.from({length: 5 * 3 * 3}, () => random() * 255), width: 5, height: 3};
  assert.equal(typeof perceptualHash(tiny), 'bigint');
  assert.equal(perceptualHash({data: new Uint8Array(1 * 1 * 3).fill(200), width: 1, height: 1}), 0n);
  assert.equal(perceptualHash({data: new Uint8Array(50 * 40 * 3).fill(90), width: 50, height: 40}), 0n);
  assert.throws(() => perceptualHash({data: new Uint8Array(0), width: 0, height: 10}), RangeError);
  assert.throws(() => perceptualHash({data: new Uint8Array(10), width: 4, height: 4}), RangeError);
});

test('hash encodings and the Hamming distance', () => {
  const hash = 0xf00dcafe12345678n;
  assert.deepEqual(phashWords(hash), [0xf00dcafe, 0x12345678]);
  assert.equal(phashFromWords(0xf00dcafe, 0x12345678), hash);
  assert.equal(phashToHex(hash), 'f00dcafe12345678');
  assert.equal(phashToHex(1n), '0000000000000001');
  assert.equal(phashFromHex('F00DCAFE12345678'), hash);
  assert.throws(() => phashFromHex('123'), RangeError);
  assert.equal(hammingDistance(hash, hash), 0);
  assert.equal(hammingDistance(0n, 0xffffffffffffffffn), 64);
  assert.equal(hammingDistance(0b1011n, 0b0110n), 3);
  assert.equal(popcount32(0x80000001), 2);
  assert.equal(popcount32(0xffffffff), 32);
});

const summary = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return {min: sorted[0]!, median: sorted[Math.floor(sorted.length / 2)]!, max: sorted.at(-1)!};
};

test('copies made by photo tools are within the default threshold; distinct photos are not', async (t) => {
  const originals: bigint[] = [];
  const copyDistances: Record<string, number[]> = {};
  for (let seed = 1; seed <= 12; seed++) {
    const jpeg = await encodeJpeg(renderPhoto(seed));
    const hash = perceptualHash(await decodeRgb(jpeg));
    originals.push(hash);
    for (const [edit, make] of Object.entries(COPY_EDITS)) {
      const distance = hammingDistance(hash, perceptualHash(await decodeRgb(await make(jpeg))));
      copyDistances[edit] ??= [];
      copyDistances[edit].push(distance);
      assert.ok(distance <= DEFAULT_PHASH_THRESHOLD, `photo ${seed}, ${edit}: ${distance} bits`);
    }
  }
  const distinct: number[] = [];
  for (let a = 0; a < originals.length; a++)
    for (let b = a + 1; b < originals.length; b++) {
      const distance = hammingDistance(originals[a]!, originals[b]!);
      distinct.push(distance);
      assert.ok(distance > DEFAULT_PHASH_THRESHOLD, `photos ${a + 1} and ${b + 1}: ${distance} bits`);
    }
  // The numbers docs/duplicates.md records (min / median / max).
  for (const [edit, distances] of Object.entries(copyDistances))
    t.diagnostic(`${edit}: ${JSON.stringify(summary(distances))}`);
  t.diagnostic(`distinct pairs (${distinct.length}): ${JSON.stringify(summary(distinct))}`);
});
