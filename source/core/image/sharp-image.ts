/**
 * The one module that touches sharp (libvips). Decoding limits are set deliberately: a pixel limit guards against
 * decompression bombs, and libvips' own thread pool is sized by the caller (see configureImageThreads).
 */
import sharp from 'sharp';

/** 100 megapixels: larger than any camera image, far smaller than a decompression bomb. */
export const DEFAULT_PIXEL_LIMIT = 100_000_000;

export const DECODABLE_FORMATS = ['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif', 'heif'] as const;

export interface ImageProbe {
  format: string;
  width: number;
  height: number;
  channels: number;
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
    const metadata = await sharp(input, {limitInputPixels: pixelLimit, failOn: 'error'}).metadata();
    const width = metadata.width ?? 0;
    const height = metadata.height ?? 0;
    if (!metadata.format || width <= 0 || height <= 0) throw new ImageDecodeError('not a decodable image');
    if (width * height > pixelLimit) {
      throw new ImageDecodeError(`image is ${width}x${height}, over the ${pixelLimit}-pixel limit`);
    }
    return {format: metadata.format, width, height, channels: metadata.channels ?? 0};
  } catch (error) {
    if (error instanceof ImageDecodeError) throw error;
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
