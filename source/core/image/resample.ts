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

import type {ResizeWindow, RgbPixels} from './pixels.js';
import {type Coefficients, coefficientsFor, type ResampleFlavour} from './resample-coefficients.js';
import {resampleWindowSimd} from './resample-simd.js';

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
