/**
 * Decoding for preprocessing, and header probes for the downloader's validation. JPEGs go to libturbojpeg where
 * the system has it (turbojpeg.ts: the same bytes for a third to a half of the CPU); every other format, and every
 * JPEG it declines, to sharp (sharp-image.ts), which also words the reasons for files that fail.
 */
import {readFile} from 'node:fs/promises';
import {seededRandom} from '../random.js';
import {
  DEFAULT_PIXEL_LIMIT,
  type DecodedRgb,
  decodeWithSharp,
  encodeRawImage,
  ImageDecodeError,
  type ImageProbe,
  probeImage,
} from './sharp-image.js';
import {decodeJpegRgb, jpegDecoderStatus, readJpegSize, type ShrinkFits} from './turbojpeg.js';

/**
 * An image's format and size from its header, without decoding the pixels, for the downloader's validation: a
 * JPEG libturbojpeg takes is read by libjpeg's header parser in microseconds (its pixels decode the same way in
 * `embed`); everything else, a JPEG over the pixel limit among them, goes to sharp's probe, which words why a file
 * fails. The probe was the largest single CPU cost per downloaded image (~0.27 CPU-ms).
 */
export async function probeImageHeader(
  bytes: Uint8Array,
  pixelLimit = DEFAULT_PIXEL_LIMIT,
): Promise<ImageProbe> {
  const jpeg = readJpegSize(bytes);
  if (jpeg && jpeg.width * jpeg.height <= pixelLimit) return {format: 'jpeg', ...jpeg};
  return probeImage(bytes, pixelLimit);
}

/** Pixels the caller owns (see decodeImageRgbWith for the cheaper way to preprocess). */
export function decodeImageRgb(
  input: Uint8Array | string,
  pixelLimit = DEFAULT_PIXEL_LIMIT,
): Promise<DecodedRgb> {
  return decode(input, pixelLimit, undefined, (image) => image);
}

/**
 * JPEG pixels for decodeImageRgbWith land in this thread's reused buffer: a fresh buffer costs page faults and
 * zeroing every time (docs/performance.md: ~4 CPU-ms per 2000x1500 photo, ~45 per 12-megapixel one). 64 MB
 * covers phones' photos up to ~21 megapixels; larger images keep a fresh buffer, so a huge one is not held for
 * the thread's life.
 */
const REUSED_BYTES_MAX = 64 * 2 ** 20;
let reused = new Uint8Array(0);

function reusedBuffer(length: number): Uint8Array {
  if (length > REUSED_BYTES_MAX) return new Uint8Array(length);
  if (reused.length < length) reused = new Uint8Array(length);
  return reused.subarray(0, length);
}

/**
 * Decodes and hands the pixels to `use` at once, in the same synchronous step as a JPEG's decode: its pixels live
 * in a buffer the next decode on this thread overwrites, so `use` must not keep them. `shrink` asks for the fast
 * decode: JPEGs libturbojpeg takes are decoded at the smallest DCT scale whose size still fits (turbojpeg.ts);
 * everything else, and every JPEG where libturbojpeg is absent, decodes exactly (libvips' shrink-on-load gives
 * other pixels than libjpeg's scaled IDCT, so a second fast flavour would make fast vectors differ by machine).
 */
export function decodeImageRgbWith<T>(
  input: Uint8Array | string,
  pixelLimit: number,
  use: (image: DecodedRgb) => T,
  shrink?: ShrinkFits,
): Promise<T> {
  return decode(input, pixelLimit, reusedBuffer, use, shrink);
}

async function decode<T>(
  input: Uint8Array | string,
  pixelLimit: number,
  allocate: ((length: number) => Uint8Array) | undefined,
  use: (image: DecodedRgb) => T,
  shrink?: ShrinkFits,
): Promise<T> {
  const bytes = typeof input === 'string' ? await readImageFile(input) : input;
  const jpeg = decodeJpegRgb(bytes, pixelLimit, allocate, shrink);
  return use(jpeg ? {...jpeg, format: 'jpeg'} : await decodeWithSharp(bytes, pixelLimit));
}

async function readImageFile(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ImageDecodeError(code === 'ENOENT' ? 'file not found' : `cannot read file (${code ?? error})`);
  }
}

/**
 * For `validate`: whether libturbojpeg (where loaded) decodes a test JPEG (odd-sized noise, 4:2:0, so the
 * upsampling's edges count) to the same bytes as sharp, the decoder the golden tests pin to the reference.
 */
export async function jpegDecoderAgreement(): Promise<
  {library: string; identical: boolean} | {unavailable: string}
> {
  const status = jpegDecoderStatus();
  if (!('library' in status)) return status;
  const size = {width: 61, height: 47, channels: 3} as const;
  const random = seededRandom(61_47);
  const pixels = Uint8Array.from({length: size.width * size.height * 3}, () => Math.floor(random() * 256));
  const jpeg = await encodeRawImage(pixels, size, 'jpeg', {quality: 90});
  const fast = decodeJpegRgb(jpeg, DEFAULT_PIXEL_LIMIT);
  const reference = await decodeWithSharp(jpeg);
  const identical = fast !== undefined && Buffer.from(fast.data).equals(Buffer.from(reference.data));
  return {library: status.library, identical};
}
