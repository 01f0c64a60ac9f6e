/**
 * CLIP image preprocessing, faithful to the reference, transformers' CLIPImageProcessor: convert to RGB, resize
 * the shortest edge (antialiased cubic, also when upscaling), centre crop (zero padding when the crop is larger),
 * rescale and normalise, CHW float32. transformers 5's CLIPImageProcessor is the torchvision backend (the golden
 * fixtures match it exactly: torch's uint8 resampler and its fused rescale+normalise arithmetic); its PIL backend
 * (CLIPImageProcessorPil, and transformers 4's "slow" processor) is the 'pil' resampler. Decoding is
 * decode-image.ts's (libturbojpeg or sharp); resampling is ours (resample.ts), because libvips' cubic differs from
 * both at the sub-pixel level.
 */

import {decodeImageRgbWith} from './decode-image.js';
import {perceptualHash, phashToHex} from './phash.js';
import type {RgbPixels} from './pixels.js';
import {type PreprocessConfig, tensorLength} from './preprocess-config.js';
import {resampleRgbWindow} from './resample.js';
import type {ResampleFlavour} from './resample-coefficients.js';
import {DEFAULT_PIXEL_LIMIT} from './sharp-image.js';

export {type PreprocessConfig, parsePreprocessorConfig, tensorLength} from './preprocess-config.js';

/** Changes whenever output pixels could change for the same input and config (part of cache keys). */
export const PREPROCESS_VERSION = 'clip-preprocess-2';

import type {DecodeMode} from '../enums.js';

export {DECODE_MODES, type DecodeMode} from '../enums.js';

/** The preprocessing version for a decode mode: fast and exact vectors never share a cache key. */
export function preprocessVersion(decode: DecodeMode): string {
  return decode === 'fast' ? `${PREPROCESS_VERSION}+fast-decode` : PREPROCESS_VERSION;
}

/**
 * The fast decode's test for a reduced size: still at least the size the resize step makes (so the resampler
 * only ever shrinks, as it does from the full image).
 */
export function shrinkFitsFor(config: PreprocessConfig): (width: number, height: number) => boolean {
  return (width, height) => {
    if (!config.doResize) return false;
    const out = resizedSize(width, height, config);
    return (
      width >= out.width && height >= out.height && width >= config.cropWidth && height >= config.cropHeight
    );
  };
}

/** transformers' get_resize_output_image_size(default_to_square=False): the long edge is truncated, not rounded. */
export function resizedSize(
  width: number,
  height: number,
  config: PreprocessConfig,
): {width: number; height: number} {
  if (!config.doResize) return {width, height};
  if (config.resizeHeight !== undefined && config.resizeWidth !== undefined) {
    return {width: config.resizeWidth, height: config.resizeHeight};
  }
  const edge = config.shortestEdge;
  if (width <= height) return {width: edge, height: Math.trunc((edge * height) / width)};
  return {width: Math.trunc((edge * width) / height), height: edge};
}

/**
 * Where crop row/column 0 falls in the resized image: top = (h - crop_h) // 2 when the crop fits; otherwise
 * the image is padded with zeros, (crop_h - h) // 2 before it (torchvision backend) or the ceiling of that
 * (transformers' numpy center_crop, PIL backend).
 */
function cropOffset(size: number, crop: number, flavour: ResampleFlavour): number {
  if (size >= crop) return Math.floor((size - crop) / 2);
  return flavour === 'pil' ? -Math.ceil((crop - size) / 2) : -Math.floor((crop - size) / 2);
}

/**
 * Every uint8 value's output, with the reference's float32 arithmetic. torchvision backend: rescale and
 * normalise fused, (v - mean / factor) / (std / factor) in float32. PIL backend (numpy): v * factor in float64
 * cast to float32, then (x - mean) / std in float32.
 */
function valueTable(config: PreprocessConfig, channel: number): Float32Array {
  const f = Math.fround;
  const table = new Float32Array(256);
  const factor = config.rescaleFactor;
  let mean = f(config.mean[channel]!);
  let std = f(config.std[channel]!);
  const fused =
    (config.resampler ?? 'torchvision') === 'torchvision' && config.doRescale && config.doNormalize;
  if (fused) {
    mean = f(mean * f(1 / factor));
    std = f(std * f(1 / factor));
  }
  for (let v = 0; v < 256; v++) {
    let x = v;
    if (config.doRescale && !fused) x = config.resampler === 'pil' ? f(v * factor) : f(v * f(factor));
    if (config.doNormalize) x = f(f(x - mean) / std);
    table[v] = x;
  }
  return table;
}

const tableCache = new WeakMap<PreprocessConfig, Float32Array[]>();

function valueTables(config: PreprocessConfig): Float32Array[] {
  let tables = tableCache.get(config);
  if (!tables) {
    tables = [0, 1, 2].map((channel) => valueTable(config, channel));
    tableCache.set(config, tables);
  }
  return tables;
}

/** Resizes, crops and normalises decoded pixels into `target` (CHW float32) at `offset`. Synchronous. */
export function pixelsToTensor(
  image: RgbPixels,
  config: PreprocessConfig,
  target: Float32Array,
  offset: number,
): void {
  const {cropHeight, cropWidth} = config;
  if (offset < 0 || offset + tensorLength(config) > target.length) {
    throw new RangeError(
      `tensor of ${tensorLength(config)} values does not fit at ${offset} in ${target.length}`,
    );
  }
  const flavour = config.resampler ?? 'torchvision';
  const out = resizedSize(image.width, image.height, config);
  const top = cropOffset(out.height, cropHeight, flavour);
  const left = cropOffset(out.width, cropWidth, flavour);
  // The part of the crop that lies inside the resized image; the rest is zero padding.
  const rowStart = Math.max(0, top);
  const rowEnd = Math.min(out.height, top + cropHeight);
  const columnStart = Math.max(0, left);
  const columnEnd = Math.min(out.width, left + cropWidth);
  const window = {
    top: rowStart,
    left: columnStart,
    rows: rowEnd - rowStart,
    columns: columnEnd - columnStart,
  };
  const resized =
    out.width === image.width && out.height === image.height
      ? null
      : resampleRgbWindow(image, out.width, out.height, config.resample, flavour, window);
  const [red, green, blue] = valueTables(config) as [Float32Array, Float32Array, Float32Array];
  const plane = cropHeight * cropWidth;
  if (window.rows < cropHeight || window.columns < cropWidth) {
    target.fill(red[0]!, offset, offset + plane);
    target.fill(green[0]!, offset + plane, offset + 2 * plane);
    target.fill(blue[0]!, offset + 2 * plane, offset + 3 * plane);
  }
  // One array type for both sources keeps the loop's loads monomorphic.
  const source =
    resized ?? new Uint8ClampedArray(image.data.buffer, image.data.byteOffset, image.data.byteLength);
  const sourceStride = resized ? window.columns * 3 : image.width * 3;
  const sourceStart = resized ? 0 : (rowStart * image.width + columnStart) * 3;
  // All three planes in one pass over the interleaved rows: ~1.5x faster than a pass per channel.
  for (let y = 0; y < window.rows; y++) {
    let o = offset + (rowStart - top + y) * cropWidth + (columnStart - left);
    const end = o + window.columns;
    for (let p = sourceStart + y * sourceStride; o < end; o++, p += 3) {
      target[o] = red[source[p]!]!;
      target[o + plane] = green[source[p + 1]!]!;
      target[o + 2 * plane] = blue[source[p + 2]!]!;
    }
  }
}

export interface PreprocessOptions {
  pixelLimit?: number | undefined;
  /** Default exact. */
  decode?: DecodeMode | undefined;
}

export async function preprocessImageInto(
  input: Uint8Array | string,
  config: PreprocessConfig,
  target: Float32Array,
  offset: number,
  options: PreprocessOptions = {},
): Promise<{decodedBytes: number; phash: string}> {
  const shrink = options.decode === 'fast' ? shrinkFitsFor(config) : undefined;
  return decodeImageRgbWith(
    input,
    options.pixelLimit ?? DEFAULT_PIXEL_LIMIT,
    (image) => {
      pixelsToTensor(image, config, target, offset);
      // The duplicates finder's perceptual hash, from the same decoded pixels (it only reads them; ~1 ms).
      return {decodedBytes: image.data.byteLength, phash: phashToHex(perceptualHash(image))};
    },
    shrink,
  );
}

export async function preprocessImage(
  input: Uint8Array | string,
  config: PreprocessConfig,
  options: PreprocessOptions = {},
): Promise<Float32Array> {
  const target = new Float32Array(tensorLength(config));
  await preprocessImageInto(input, config, target, 0, options);
  return target;
}
