/**
 * Faithful ports of the two 8-bit separable resamplers the CLIP reference can use. Both resample horizontally
 * then vertically through an 8-bit intermediate, with integer weights and round-half-up shifts:
 * - 'torchvision': torch's antialiased uint8 interpolate (aten/src/ATen/native/cpu/UpSampleKernel.cpp:
 *   _compute_indices_min_size_weights_aa, _compute_index_ranges_int16_weights, basic_loop_aa_*<uint8_t>).
 *   transformers 5's CLIPImageProcessor (the torchvision backend) resizes with it; int16 weights with a
 *   per-axis precision.
 * - 'pil': Pillow's ImagingResample (src/libImaging/Resample.c: precompute_coeffs, normalize_coeffs_8bpc,
 *   ImagingResample{Horizontal,Vertical}_8bpc), as the PIL backend (CLIPImageProcessorPil) uses; 22-bit weights.
 * Both match their reference bit for bit, upscaling and antialiasing included. The only liberty taken is in
 * what is computed: the caller asks for a window of the output (the centre crop) and only that is resampled.
 */

import {resampleWindowSimd} from './resample-simd.js';

export type ResampleFlavour = 'torchvision' | 'pil';

/** Pillow's `Image.Resampling` numbers, as stored in preprocessor_config.json's `resample`. */
export const PIL_RESAMPLE = {nearest: 0, lanczos: 1, bilinear: 2, bicubic: 3, box: 4, hamming: 5} as const;

interface Filter {
  support: number;
  weight: (x: number) => number;
}

const HAMMING_A = Math.fround(0.54); // `0.54f` and `0.46f` in C: float constants promoted to double
const HAMMING_B = Math.fround(0.46);

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = x * Math.PI;
  return Math.sin(px) / px;
}

const bilinear: Filter = {support: 1, weight: (x) => Math.max(0, 1 - Math.abs(x))};

/** Pillow's bicubic_filter (a = -0.5). */
const pilBicubic: Filter = {
  support: 2,
  weight: (x) => {
    const a = -0.5;
    const ax = Math.abs(x);
    if (ax < 1) return ((a + 2) * ax - (a + 3)) * ax * ax + 1;
    if (ax < 2) return (((ax - 5) * ax + 8) * ax - 4) * a;
    return 0;
  },
};

/** torch's HelperInterpCubic::aa_filter: cubic_convolution1/2 of UpSample.h with A = -0.5 (same curve, other rounding). */
const torchBicubic: Filter = {
  support: 2,
  weight: (x) => {
    const a = -0.5;
    const ax = Math.abs(x);
    if (ax < 1) return ((a + 2) * ax - (a + 3)) * ax * ax + 1;
    if (ax < 2) return ((a * ax - 5 * a) * ax + 8 * a) * ax - 4 * a;
    return 0;
  },
};

const PIL_FILTERS: ReadonlyMap<number, Filter> = new Map<number, Filter>([
  [PIL_RESAMPLE.box, {support: 0.5, weight: (x) => (x > -0.5 && x <= 0.5 ? 1 : 0)}],
  [PIL_RESAMPLE.bilinear, bilinear],
  [
    PIL_RESAMPLE.hamming,
    {
      support: 1,
      weight: (x) => {
        const ax = Math.abs(x);
        if (ax === 0) return 1;
        if (ax >= 1) return 0;
        const px = ax * Math.PI;
        return (Math.sin(px) / px) * (HAMMING_A + HAMMING_B * Math.cos(px));
      },
    },
  ],
  [PIL_RESAMPLE.bicubic, pilBicubic],
  [PIL_RESAMPLE.lanczos, {support: 3, weight: (x) => (x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0)}],
]);

// torch has no box/hamming; transformers' torchvision backend replaces LANCZOS with BICUBIC (with a warning).
const TORCH_FILTERS: ReadonlyMap<number, Filter> = new Map<number, Filter>([
  [PIL_RESAMPLE.bilinear, bilinear],
  [PIL_RESAMPLE.bicubic, torchBicubic],
  [PIL_RESAMPLE.lanczos, torchBicubic],
]);

export function isSupportedResample(resample: number, flavour: ResampleFlavour): boolean {
  return (flavour === 'pil' ? PIL_FILTERS : TORCH_FILTERS).has(resample);
}

const PIL_PRECISION_BITS = 32 - 8 - 2;

/** Integer weights for every output position along one axis. */
export interface Coefficients {
  /** Per output position: first input index and number of taps. */
  start: Int32Array;
  taps: Int32Array;
  kernelSize: number;
  weights: Int32Array;
  precision: number;
}

function computeCoefficients(
  inSize: number,
  outSize: number,
  filter: Filter,
  flavour: ResampleFlavour,
): Coefficients {
  const scale = inSize / outSize;
  const filterScale = Math.max(1, scale);
  const support = filter.support * filterScale;
  const kernelSize = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const taps = new Int32Array(outSize);
  const real = new Float64Array(outSize * kernelSize);
  const inverseScale = 1 / filterScale;
  let maxWeight = 0;
  for (let i = 0; i < outSize; i++) {
    const center = (i + 0.5) * scale;
    const xmin = Math.max(0, Math.trunc(center - support + 0.5));
    let xmax = Math.min(inSize, Math.trunc(center + support + 0.5)) - xmin;
    if (flavour === 'torchvision') xmax = Math.min(Math.max(xmax, 0), kernelSize);
    const base = i * kernelSize;
    let total = 0;
    for (let x = 0; x < xmax; x++) {
      const w = filter.weight((x + xmin - center + 0.5) * inverseScale);
      real[base + x] = w;
      total += w;
    }
    if (total !== 0) {
      for (let x = 0; x < xmax; x++) {
        real[base + x] = real[base + x]! / total;
        maxWeight = Math.max(maxWeight, real[base + x]!);
      }
    }
    start[i] = xmin;
    taps[i] = xmax;
  }
  const precision = flavour === 'pil' ? PIL_PRECISION_BITS : torchPrecision(maxWeight);
  const one = 2 ** precision;
  const weights = new Int32Array(real.length);
  for (let j = 0; j < real.length; j++) {
    const w = real[j]! * one;
    weights[j] = w < 0 ? Math.trunc(-0.5 + w) : Math.trunc(0.5 + w);
  }
  return {start, taps, kernelSize, weights, precision};
}

/** The most bits that keep every weight inside int16 (torch's _compute_index_ranges_int16_weights). */
function torchPrecision(maxWeight: number): number {
  let precision = 0;
  for (; precision < 22; precision++) {
    if (Math.trunc(0.5 + maxWeight * 2 ** (precision + 1)) >= 1 << 15) break;
  }
  return precision;
}

const coefficientCache = new Map<string, Coefficients>();

/** Images of one size share coefficients; a handful of recent sizes stay cached. */
function coefficientsFor(
  inSize: number,
  outSize: number,
  resample: number,
  flavour: ResampleFlavour,
): Coefficients {
  const key = `${flavour}:${resample}:${inSize}:${outSize}`;
  let found = coefficientCache.get(key);
  if (!found) {
    const filter = (flavour === 'pil' ? PIL_FILTERS : TORCH_FILTERS).get(resample);
    if (!filter) throw new Error(`resample filter ${resample} is not supported by the ${flavour} resampler`);
    found = computeCoefficients(inSize, outSize, filter, flavour);
    if (coefficientCache.size >= 16) coefficientCache.delete(coefficientCache.keys().next().value!);
  }
  coefficientCache.delete(key);
  coefficientCache.set(key, found);
  return found;
}

export interface RgbPixels {
  /** Interleaved 8-bit RGB, row-major, `width * height * 3` bytes. */
  data: Uint8Array;
  width: number;
  height: number;
}

/** A window of the resized image: rows [top, top + rows), columns [left, left + columns). */
export interface ResizeWindow {
  top: number;
  left: number;
  rows: number;
  columns: number;
}

// Scratch for the horizontal pass, reused across calls: the passes are synchronous, so no two calls overlap.
let scratch: Uint8ClampedArray = new Uint8ClampedArray(0);
let output: Uint8ClampedArray = new Uint8ClampedArray(0);

function scratchOf(size: number, current: Uint8ClampedArray): Uint8ClampedArray {
  return current.length >= size ? current : new Uint8ClampedArray(Math.max(size, current.length * 2));
}

/**
 * The resized image (`outWidth` x `outHeight`, as `PIL.Image.resize` or torchvision's resize would compute it
 * from an RGB image), restricted to `window`: interleaved RGB rows of `window.columns` pixels. The returned
 * array is reused by the next call: consume it before calling again.
 */
export function resampleRgbWindow(
  image: RgbPixels,
  outWidth: number,
  outHeight: number,
  resample: number,
  flavour: ResampleFlavour,
  window: ResizeWindow,
  /** Use the WebAssembly SIMD kernels where they apply (default true; false for the JavaScript reference). */
  simd = true,
): Uint8ClampedArray {
  const {top, left, rows, columns} = window;
  const needHorizontal = outWidth !== image.width;
  const needVertical = outHeight !== image.height;
  const vertical = needVertical ? coefficientsFor(image.height, outHeight, resample, flavour) : null;
  if (simd && flavour === 'torchvision') {
    // torch's weights fit int16, which is what the SIMD kernels multiply with (Pillow's 22-bit ones do not).
    const horizontal = needHorizontal ? coefficientsFor(image.width, outWidth, resample, flavour) : null;
    output = scratchOf(rows * columns * 3, output);
    if (resampleWindowSimd(image, horizontal, vertical, window, output)) return output;
  }

  // One array type in both passes keeps V8's element loads monomorphic.
  const pixels = new Uint8ClampedArray(image.data.buffer, image.data.byteOffset, image.data.byteLength);
  let source: Uint8ClampedArray = pixels;
  let sourceWidth = image.width;
  let sourceColumn = left; // where the window's first column sits in `source`
  let sourceRow = 0; // which image row is row 0 of `source`
  if (needHorizontal) {
    // Resample horizontally only the input rows the vertical pass will read (Pillow does the same).
    let firstRow = top;
    let lastRow = top + rows;
    if (vertical) {
      firstRow = vertical.start[top]!;
      lastRow = vertical.start[top + rows - 1]! + vertical.taps[top + rows - 1]!;
    }
    const horizontal = coefficientsFor(image.width, outWidth, resample, flavour);
    scratch = scratchOf((lastRow - firstRow) * columns * 3, scratch);
    resampleRows(pixels, image.width, firstRow, lastRow - firstRow, horizontal, left, columns, scratch);
    source = scratch;
    sourceWidth = columns;
    sourceColumn = 0;
    sourceRow = firstRow;
  }
  output = scratchOf(rows * columns * 3, output);
  if (vertical) {
    resampleColumns(source, sourceWidth, sourceColumn, sourceRow, vertical, top, rows, columns, output);
  } else {
    for (let y = 0; y < rows; y++) {
      const from = ((top + y - sourceRow) * sourceWidth + sourceColumn) * 3;
      output.set(source.subarray(from, from + columns * 3), y * columns * 3);
    }
  }
  return output;
}

function resampleRows(
  src: Uint8ClampedArray,
  srcWidth: number,
  firstRow: number,
  rowCount: number,
  k: Coefficients,
  firstColumn: number,
  columns: number,
  out: Uint8ClampedArray,
): void {
  const {start, taps, kernelSize, weights, precision} = k;
  const half = 1 << (precision - 1);
  let o = 0;
  for (let y = 0; y < rowCount; y++) {
    const rowBase = (firstRow + y) * srcWidth * 3;
    for (let xx = firstColumn; xx < firstColumn + columns; xx++) {
      let p = rowBase + start[xx]! * 3;
      const n = taps[xx]!;
      const kb = xx * kernelSize;
      let s0 = half;
      let s1 = half;
      let s2 = half;
      for (let x = 0; x < n; x++, p += 3) {
        const w = weights[kb + x]!;
        // `| 0` keeps the sums in int32 (they cannot overflow: |sum| < 2^31), which V8 runs twice as fast.
        s0 = (s0 + src[p]! * w) | 0;
        s1 = (s1 + src[p + 1]! * w) | 0;
        s2 = (s2 + src[p + 2]! * w) | 0;
      }
      // Uint8ClampedArray clamps to 0..255 like Pillow's clip8 and torch's std::clamp.
      out[o++] = s0 >> precision;
      out[o++] = s1 >> precision;
      out[o++] = s2 >> precision;
    }
  }
}

function resampleColumns(
  src: Uint8ClampedArray,
  srcWidth: number,
  srcColumn: number,
  srcFirstRow: number,
  k: Coefficients,
  firstRow: number,
  rows: number,
  columns: number,
  out: Uint8ClampedArray,
): void {
  const {start, taps, kernelSize, weights, precision} = k;
  const half = 1 << (precision - 1);
  const stride = srcWidth * 3;
  let o = 0;
  for (let yy = firstRow; yy < firstRow + rows; yy++) {
    const n = taps[yy]!;
    const kb = yy * kernelSize;
    const rowBase = (start[yy]! - srcFirstRow) * stride + srcColumn * 3;
    for (let xx = 0; xx < columns; xx++) {
      let p = rowBase + xx * 3;
      let s0 = half;
      let s1 = half;
      let s2 = half;
      for (let y = 0; y < n; y++, p += stride) {
        const w = weights[kb + y]!;
        s0 = (s0 + src[p]! * w) | 0;
        s1 = (s1 + src[p + 1]! * w) | 0;
        s2 = (s2 + src[p + 2]! * w) | 0;
      }
      out[o++] = s0 >> precision;
      out[o++] = s1 >> precision;
      out[o++] = s2 >> precision;
    }
  }
}
