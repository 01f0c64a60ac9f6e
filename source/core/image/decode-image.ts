/**
 * Decoding for preprocessing. JPEGs go to libturbojpeg where the system has it (turbojpeg.ts: the same bytes for a
 * third to a half of the CPU); every other format, and every JPEG it declines, to sharp (sharp-image.ts), which
 * also words the reasons for files that fail.
 */
import {readFile} from 'node:fs/promises';
import {seededRandom} from '../random.js';
import {
  DEFAULT_PIXEL_LIMIT,
  type DecodedRgb,
  decodeWithSharp,
  encodeRawImage,
  ImageDecodeError,
} from './sharp-image.js';
import {decodeJpegRgb, jpegDecoderStatus} from './turbojpeg.js';

export async function decodeImageRgb(
  input: Uint8Array | string,
  pixelLimit = DEFAULT_PIXEL_LIMIT,
): Promise<DecodedRgb> {
  const bytes = typeof input === 'string' ? await readImageFile(input) : input;
  const jpeg = decodeJpegRgb(bytes, pixelLimit);
  return jpeg ? {...jpeg, format: 'jpeg'} : decodeWithSharp(bytes, pixelLimit);
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
