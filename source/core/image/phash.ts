/**
 * A 64-bit perceptual hash (pHash, the DCT variant of Zauner's pHash library, `ph_dct_imagehash` in
 * clearscene/pHash src/pHash.cpp) from already-decoded RGB pixels, for finding copies of a photo that were
 * resized, re-encoded, lightly cropped or colour-shifted. Near copies differ in few bits (Hamming distance).
 *
 * The algorithm, exactly (docs/duplicates.md has the measurements):
 * 1. Grey: BT.601 luma, 299 R + 587 G + 114 B (the Y of pHash's RGBtoYCbCr, up to an offset and scale that only
 *    move the DC term).
 * 2. Downscale to 32 x 32 by box averaging: cell (cx, cy) is the mean over the source rectangle
 *    [floor(cx W / 32), floor((cx+1) W / 32)) x [floor(cy H / 32), ...) (at least one pixel wide). Large images are
 *    averaged over an evenly spaced grid of at most SAMPLES_PER_CELL x SAMPLES_PER_CELL pixels per cell, so a
 *    12 MP photo costs ~65k pixel reads, not 12M; the box average replaces pHash's 7x7 mean filter as the low pass.
 * 3. 2-D DCT-II of the 32 x 32 grey thumbnail, of which only the coefficients (u, v) with 1 <= u, v <= 8 are
 *    computed: the top-left 8 x 8 block without the DC row and column (pHash's `crop(1,1,8,8)`), 64 values.
 * 4. Bit i (least significant = 0) is set when coefficient i = (v-1) * 8 + (u-1) (u horizontal, v vertical
 *    frequency) is greater than the median of the 64 (the mean of the 32nd and 33rd smallest).
 */

export interface RgbImage {
  /** Interleaved 8-bit RGB, width * height * 3 bytes. */
  data: Uint8Array;
  width: number;
  height: number;
}

const SIZE = 32;
const BLOCK = 8;
/** Samples per cell side: a cell of a 12 MP photo (125 x 94 pixels) is averaged over 8 x 8 of them (16 x 16 cost
 * twice the time for the same distances: docs/duplicates.md). */
const SAMPLES_PER_CELL = 8;

/** cos(pi (2x + 1) u / 64) for u = 1..8, x = 0..31: the DCT rows that the hash keeps. */
const COSINES = (() => {
  const table = new Float64Array(BLOCK * SIZE);
  for (let u = 1; u <= BLOCK; u++)
    for (let x = 0; x < SIZE; x++)
      table[(u - 1) * SIZE + x] = Math.cos((Math.PI * (2 * x + 1) * u) / (2 * SIZE));
  return table;
})();

/** The sampled source coordinates (0..length-1), grouped by thumbnail cell: cell c owns [starts[c], starts[c+1]). */
function sampleAxis(length: number): {coordinates: Int32Array; starts: Int32Array} {
  const coordinates: number[] = [];
  const starts = new Int32Array(SIZE + 1);
  for (let cell = 0; cell < SIZE; cell++) {
    starts[cell] = coordinates.length;
    const start = Math.min(Math.floor((cell * length) / SIZE), length - 1);
    const end = Math.min(length, Math.max(start + 1, Math.floor(((cell + 1) * length) / SIZE)));
    const step = Math.max(1, Math.ceil((end - start) / SAMPLES_PER_CELL));
    // Samples centred in their strides, so a strided cell is not biased towards its top-left edge.
    for (let at = start + (step >> 1); at < end; at += step) coordinates.push(at);
  }
  starts[SIZE] = coordinates.length;
  return {coordinates: Int32Array.from(coordinates), starts};
}

/** The 32 x 32 grey thumbnail (luma scaled by 1000), row-major. */
export function greyThumbnail(image: RgbImage): Float64Array {
  const {data, width, height} = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1)
    throw new RangeError(`perceptual hash of a ${width}x${height} image`);
  if (data.length < width * height * 3)
    throw new RangeError(`perceptual hash: ${data.length} bytes for a ${width}x${height} RGB image`);
  const columns = sampleAxis(width);
  const rows = sampleAxis(height);
  const offsets = columns.coordinates.map((x) => x * 3);
  const xStarts = columns.starts;
  const sums = new Float64Array(SIZE * SIZE);
  for (let cy = 0; cy < SIZE; cy++) {
    for (let r = rows.starts[cy]!; r < rows.starts[cy + 1]!; r++) {
      const base = rows.coordinates[r]! * width * 3;
      for (let cx = 0; cx < SIZE; cx++) {
        // An integer sum per cell and row: at most 16 samples x 255,000 fits easily.
        let sum = 0;
        for (let c = xStarts[cx]!; c < xStarts[cx + 1]!; c++) {
          const offset = base + offsets[c]!;
          sum += 299 * data[offset]! + 587 * data[offset + 1]! + 114 * data[offset + 2]!;
        }
        sums[cy * SIZE + cx]! += sum;
      }
    }
  }
  for (let cy = 0; cy < SIZE; cy++) {
    const rowSamples = rows.starts[cy + 1]! - rows.starts[cy]!;
    for (let cx = 0; cx < SIZE; cx++) sums[cy * SIZE + cx]! /= rowSamples * (xStarts[cx + 1]! - xStarts[cx]!);
  }
  return sums;
}

/** The 64 kept DCT coefficients of a 32 x 32 thumbnail, index (v-1) * 8 + (u-1). */
export function lowFrequencies(thumbnail: Float64Array): Float64Array {
  // Separable: first along x for each of the 32 rows (u = 1..8), then along y (v = 1..8).
  const partial = new Float64Array(SIZE * BLOCK);
  for (let y = 0; y < SIZE; y++) {
    for (let u = 0; u < BLOCK; u++) {
      let sum = 0;
      for (let x = 0; x < SIZE; x++) sum += thumbnail[y * SIZE + x]! * COSINES[u * SIZE + x]!;
      partial[y * BLOCK + u] = sum;
    }
  }
  const coefficients = new Float64Array(BLOCK * BLOCK);
  for (let v = 0; v < BLOCK; v++) {
    for (let u = 0; u < BLOCK; u++) {
      let sum = 0;
      for (let y = 0; y < SIZE; y++) sum += partial[y * BLOCK + u]! * COSINES[v * SIZE + y]!;
      coefficients[v * BLOCK + u] = sum;
    }
  }
  return coefficients;
}

/** The perceptual hash of decoded RGB pixels, as an unsigned 64-bit bigint. */
export function perceptualHash(image: RgbImage): bigint {
  const coefficients = lowFrequencies(greyThumbnail(image));
  // A flat image has no structure: its coefficients are rounding noise, which would make arbitrary bits.
  for (let i = 0; i < coefficients.length; i++) if (Math.abs(coefficients[i]!) < 1e-6) coefficients[i] = 0;
  const sorted = Float64Array.from(coefficients).sort();
  const median = (sorted[31]! + sorted[32]!) / 2;
  let hi = 0;
  let lo = 0;
  for (let i = 0; i < 32; i++) if (coefficients[i]! > median) lo |= 1 << i;
  for (let i = 0; i < 32; i++) if (coefficients[32 + i]! > median) hi |= 1 << i;
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/** The high and low 32 bits, for columns of hashes kept in typed arrays. */
export function phashWords(hash: bigint): [hi: number, lo: number] {
  return [Number((hash >> 32n) & 0xffffffffn), Number(hash & 0xffffffffn)];
}

export function phashFromWords(hi: number, lo: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/** 16 lower-case hex digits, the form pHash users exchange. */
export function phashToHex(hash: bigint): string {
  return hash.toString(16).padStart(16, '0');
}

export function phashFromHex(hex: string): bigint {
  if (!/^[0-9a-f]{16}$/i.test(hex)) throw new RangeError(`not a 64-bit hex perceptual hash: '${hex}'`);
  return BigInt(`0x${hex}`);
}

/** Set bits of a 32-bit integer (SWAR popcount). */
export function popcount32(value: number): number {
  let v = value - ((value >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

/** Bits in which two hashes differ (0 = same, 64 = opposite). */
export function hammingDistance(a: bigint, b: bigint): number {
  const [aHi, aLo] = phashWords(a);
  const [bHi, bLo] = phashWords(b);
  return popcount32(aHi ^ bHi) + popcount32(aLo ^ bLo);
}
