/**
 * The one module that touches sharp (libvips). Decoding limits are set deliberately: a pixel limit guards against
 * decompression bombs, and libvips' own thread pool is sized by the caller (see configureImageThreads).
 */
import sharp, {type Metadata} from 'sharp';

/** 100 megapixels: larger than any camera image, far smaller than a decompression bomb. */
export const DEFAULT_PIXEL_LIMIT = 100_000_000;

export const DECODABLE_FORMATS = ['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif', 'heif'] as const;

export interface ImageProbe {
  format: string;
  width: number;
  height: number;
}

export class ImageDecodeError extends Error {
  override readonly name = 'ImageDecodeError';
}

/** Reads an image's header (and validates it) without decoding the pixels. */
export async function probeImage(
  input: Uint8Array | string,
  pixelLimit = DEFAULT_PIXEL_LIMIT,
): Promise<ImageProbe> {
  try {
    return checkProbe(
      await sharp(input, {limitInputPixels: pixelLimit, failOn: 'error'}).metadata(),
      pixelLimit,
    );
  } catch (error) {
    if (error instanceof ImageDecodeError) throw error;
    throw new ImageDecodeError(cleanSharpMessage(error));
  }
}

/** Decoded pixels as the reference (PIL's `Image.convert('RGB')`) sees them: interleaved 8-bit RGB. */
export interface DecodedRgb {
  data: Uint8Array;
  width: number;
  height: number;
  /** The container format sharp detected (jpeg, png, webp, gif, tiff, heif...). */
  format: string;
}

/**
 * Decodes an image to RGB the way PIL + `convert('RGB')` does, which is what CLIP's reference preprocessing
 * sees: the first frame/page only; no EXIF auto-rotation (PIL does not apply it); embedded ICC profiles
 * ignored (PIL does not colour-manage); alpha dropped, not composited; grey replicated to three channels;
 * CMYK converted with PIL's naive formula. Truncated or corrupt pixel data fails (failOn 'error': the same
 * files PIL refuses; libjpeg's recoverable warnings pass, as in PIL). Rejects with ImageDecodeError.
 * decode-image.ts's decodeImageRgb is the entry point: it sends most JPEGs elsewhere first.
 */
export async function decodeWithSharp(
  bytes: Uint8Array,
  pixelLimit = DEFAULT_PIXEL_LIMIT,
): Promise<DecodedRgb> {
  if (bytes.byteLength === 0) throw new ImageDecodeError('empty file (0 bytes)');
  try {
    const image = sharp(bytes, {
      limitInputPixels: pixelLimit,
      failOn: 'error',
      ignoreIcc: true,
      autoOrient: false,
      sequentialRead: true,
    });
    const metadata = await image.metadata();
    const probe = checkProbe(metadata, pixelLimit);
    const cmyk = metadata.space === 'cmyk';
    // Ask for the CMYK bands themselves: libvips would colour-manage them, PIL does not.
    const pipeline = cmyk ? image.toColourspace('cmyk') : image;
    const {data, info} = await pipeline.raw({depth: 'uchar'}).toBuffer({resolveWithObject: true});
    if (info.width !== probe.width || info.height !== probe.height) {
      throw new ImageDecodeError(
        `decoded ${info.width}x${info.height}, header said ${probe.width}x${probe.height}`,
      );
    }
    const pixels = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    return {
      data: toRgb(pixels, info.channels, cmyk),
      width: info.width,
      height: info.height,
      format: probe.format,
    };
  } catch (error) {
    if (error instanceof ImageDecodeError) throw error;
    const reason = decodeFailureReason(error);
    throw new ImageDecodeError(
      reason === PIXEL_LIMIT_REASON ? await overLimitReason(bytes, pixelLimit) : reason,
    );
  }
}

const PIXEL_LIMIT_REASON = 'image is over the pixel limit';

/** The header alone (no pixels are decoded) tells how big the refused image claims to be. */
async function overLimitReason(bytes: Uint8Array, pixelLimit: number): Promise<string> {
  const metadata = await sharp(bytes, {limitInputPixels: false})
    .metadata()
    .catch(() => null);
  if (!metadata?.width || !metadata.height) return `${PIXEL_LIMIT_REASON} of ${pixelLimit}`;
  return `image is ${metadata.width}x${metadata.height}, over the ${pixelLimit}-pixel limit`;
}

function checkProbe(metadata: Metadata, pixelLimit: number): ImageProbe {
  const width = metadata.width ?? 0;
  const height = metadata.height ?? 0;
  if (!metadata.format || width <= 0 || height <= 0) throw new ImageDecodeError('not a decodable image');
  if (width * height > pixelLimit) {
    throw new ImageDecodeError(`image is ${width}x${height}, over the ${pixelLimit}-pixel limit`);
  }
  return {format: metadata.format, width, height};
}

function decodeFailureReason(error: unknown): string {
  const message = cleanSharpMessage(error);
  if (/unsupported image format/i.test(message)) return 'not an image (unrecognised format)';
  if (/pixel limit/i.test(message)) return PIXEL_LIMIT_REASON;
  return `corrupt or truncated image: ${message}`;
}

/** PIL's convert('RGB'): L and LA replicate L, RGBA drops A, CMYK uses Pillow's cmyk2rgb. */
function toRgb(pixels: Uint8Array, channels: number, cmyk: boolean): Uint8Array {
  if (channels === 3 && !cmyk) return pixels;
  const count = pixels.length / channels;
  const rgb = new Uint8Array(count * 3);
  for (let i = 0, p = 0, o = 0; i < count; i++, p += channels, o += 3) {
    if (cmyk) {
      const notK = 255 - pixels[p + 3]!;
      rgb[o] = notK - mulDiv255(pixels[p]!, notK);
      rgb[o + 1] = notK - mulDiv255(pixels[p + 1]!, notK);
      rgb[o + 2] = notK - mulDiv255(pixels[p + 2]!, notK);
    } else if (channels >= 3) {
      rgb[o] = pixels[p]!;
      rgb[o + 1] = pixels[p + 1]!;
      rgb[o + 2] = pixels[p + 2]!;
    } else {
      const grey = pixels[p]!;
      rgb[o] = grey;
      rgb[o + 1] = grey;
      rgb[o + 2] = grey;
    }
  }
  return rgb;
}

/** Pillow's MULDIV255: a * b / 255, rounded, in integers. */
function mulDiv255(a: number, b: number): number {
  const t = a * b + 128;
  return ((t >> 8) + t) >> 8;
}

export type TestImageFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'tiff' | 'avif';

export interface EncodeOptions {
  quality?: number;
  lossless?: boolean;
  /** An indexed (palette) PNG. */
  palette?: boolean;
  /** A CMYK JPEG or TIFF. */
  cmyk?: boolean;
  /** An EXIF Orientation tag (1-8); the pixels are stored as given, not rotated. */
  orientation?: number;
  /** Frames of this height stacked vertically in `pixels` make an animated GIF/WebP. */
  frameHeight?: number;
  /** JPEG: full-resolution chroma instead of 4:2:0, and progressive scans. */
  chroma444?: boolean;
  progressive?: boolean;
}

/**
 * Encodes raw interleaved pixels (1 = grey, 2 = grey + alpha, 3 = RGB, 4 = RGBA) into an image file: for tests
 * and fixtures, so that they can make every format without importing sharp.
 */
export async function encodeRawImage(
  pixels: Uint8Array,
  size: {width: number; height: number; channels: 1 | 2 | 3 | 4},
  format: TestImageFormat,
  options: EncodeOptions = {},
): Promise<Uint8Array> {
  const raw = options.frameHeight ? {...size, pageHeight: options.frameHeight} : size;
  let image = sharp(pixels, {raw});
  if (size.channels <= 2) image = image.toColourspace('b-w');
  if (options.cmyk) image = image.toColourspace('cmyk');
  if (options.orientation) image = image.withMetadata({orientation: options.orientation});
  const quality = options.quality ?? 90;
  const lossless = options.lossless ?? false;
  switch (format) {
    case 'jpeg':
      image = image.jpeg({
        quality,
        chromaSubsampling: options.chroma444 ? '4:4:4' : '4:2:0',
        progressive: options.progressive ?? false,
      });
      break;
    case 'png':
      image = image.png({palette: options.palette ?? false});
      break;
    case 'webp':
      image = image.webp({quality, lossless});
      break;
    case 'gif':
      image = image.gif();
      break;
    case 'tiff':
      image = image.tiff(lossless ? {compression: 'lzw'} : {quality, compression: 'jpeg'});
      break;
    case 'avif':
      image = image.avif({quality, lossless});
      break;
  }
  return new Uint8Array(await image.toBuffer());
}

/**
 * A small PNG of an image (for inline terminal pictures): EXIF-rotated as people see it, fitted inside
 * `size` x `size`, palette-encoded so it stays a few kilobytes. Rejects with ImageDecodeError.
 */
export async function thumbnailPng(
  input: Uint8Array | string,
  size: number,
  pixelLimit = DEFAULT_PIXEL_LIMIT,
): Promise<Uint8Array> {
  try {
    const image = sharp(input, {limitInputPixels: pixelLimit, failOn: 'error', animated: false})
      .rotate()
      .resize(size, size, {fit: 'inside', withoutEnlargement: true})
      .png({palette: true});
    return new Uint8Array(await image.toBuffer());
  } catch (error) {
    throw new ImageDecodeError(cleanSharpMessage(error));
  }
}

export function cleanSharpMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0]?.replace(/^Input (buffer|file) /, 'image ') ?? 'cannot decode image';
}

/** libvips' worker threads; the embedding pipeline bounds this so decoding never oversubscribes the cores. */
export function configureImageThreads(threads: number): void {
  sharp.concurrency(threads);
}

export function sharpVersions(): {sharp: string; libvips: string} {
  return {sharp: sharp.versions.sharp ?? 'unknown', libvips: sharp.versions.vips};
}
