/**
 * What the bytes are, whatever the server claimed: magic numbers of the image types sharp decodes, HTML error
 * pages, and bodies cut short before the image's end marker.
 */

export type SniffedType = 'jpeg' | 'png' | 'gif' | 'webp' | 'tiff' | 'avif' | 'heif';

const HEIF_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'mif1', 'msf1']);
const AVIF_BRANDS = new Set(['avif', 'avis']);

function ascii(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...bytes.subarray(start, end));
}

export function sniffImageType(bytes: Uint8Array): SniffedType | null {
  if (bytes.length < 12) return null;
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (ascii(bytes, 0, 8) === '\x89PNG\r\n\x1a\n') return 'png';
  const head6 = ascii(bytes, 0, 6);
  if (head6 === 'GIF87a' || head6 === 'GIF89a') return 'gif';
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP') return 'webp';
  const head4 = ascii(bytes, 0, 4);
  if (head4 === 'II*\0' || head4 === 'MM\0*') return 'tiff';
  if (ascii(bytes, 4, 8) === 'ftyp') {
    const brand = ascii(bytes, 8, 12);
    if (AVIF_BRANDS.has(brand)) return 'avif';
    if (HEIF_BRANDS.has(brand)) return 'heif';
  }
  return null;
}

/** What a file that is not an image looks like from its first bytes, for a failure's reason. */
export function describeNonImage(bytes: Uint8Array): string {
  if (bytes.length === 0) return 'an empty file';
  if (ascii(bytes, 4, 8) === 'ftyp') return 'a video or other media file (MP4, QuickTime, 3GP)';
  if (bytes[0] === 0x1a && bytes[1] === 0x45 && bytes[2] === 0xdf && bytes[3] === 0xa3)
    return 'a video (Matroska, WebM)';
  if (ascii(bytes, 0, 4) === 'RIFF') return `a RIFF ${ascii(bytes, 8, 12).trim() || 'media'} file, not WebP`;
  if (ascii(bytes, 0, 5) === '%PDF-') return 'a PDF document';
  if (ascii(bytes, 0, 4) === 'PK\x03\x04') return 'a ZIP archive (or a document in one)';
  if (ascii(bytes, 0, 3) === 'ID3') return 'an MP3 file';
  if (looksLikeHtml(bytes)) return 'an HTML or XML document';
  return 'no JPEG, PNG, WebP, GIF, TIFF, AVIF or HEIF signature in its first bytes';
}

/** An HTML or XML document (the usual shape of a 200 error page), after any BOM and whitespace. */
export function looksLikeHtml(bytes: Uint8Array): boolean {
  let text = new TextDecoder('utf-8', {fatal: false}).decode(bytes.subarray(0, 512));
  text = text
    .replace(/^\uFEFF/, '')
    .trimStart()
    .toLowerCase();
  return (
    text.startsWith('<!doctype html') ||
    text.startsWith('<html') ||
    text.startsWith('<?xml') ||
    text.startsWith('<head') ||
    text.startsWith('<body') ||
    text.startsWith('<!--')
  );
}

/** Trailing bytes tolerated after an end marker (some encoders pad); beyond that the file counts as cut. */
const END_MARKER_WINDOW = 1024;

/**
 * False when a JPEG or PNG lacks its end marker near the end: the body was cut short even though its header
 * decodes. Other formats are not checked (their headers alone carry no such marker).
 */
export function hasImageEnd(bytes: Uint8Array, type: SniffedType): boolean {
  const tailStart = Math.max(0, bytes.length - END_MARKER_WINDOW);
  const tail = bytes.subarray(tailStart);
  if (type === 'jpeg') {
    for (let i = tail.length - 2; i >= 0; i--) if (tail[i] === 0xff && tail[i + 1] === 0xd9) return true;
    return false;
  }
  if (type === 'png') {
    for (let i = tail.length - 4; i >= 0; i--) {
      if (tail[i] === 0x49 && tail[i + 1] === 0x45 && tail[i + 2] === 0x4e && tail[i + 3] === 0x44)
        return true;
    }
    return false;
  }
  return true;
}

const EXTENSIONS: Record<SniffedType, string> = {
  jpeg: 'jpg',
  png: 'png',
  gif: 'gif',
  webp: 'webp',
  tiff: 'tif',
  avif: 'avif',
  heif: 'heic',
};

export function extensionFor(type: SniffedType): string {
  return EXTENSIONS[type];
}

export const IMAGE_EXTENSIONS = new Set([
  'jpg',
  'jpeg',
  'png',
  'gif',
  'webp',
  'tif',
  'tiff',
  'avif',
  'heic',
  'heif',
]);
