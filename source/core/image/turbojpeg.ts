/**
 * The one module that touches libturbojpeg, through koffi (an FFI with prebuilt binaries: nothing is compiled at
 * install). Decoding JPEGs is most of preprocessing's CPU, and libturbojpeg does it in a third to a half of
 * sharp's time (docs/performance.md: libvips' per-image pipeline and thread hand-offs are the difference), to the
 * same bytes: the same decoder family as PIL's and libvips', with libjpeg's defaults (accurate integer IDCT,
 * fancy upsampling). The library comes from npm where it can: the optional dependency @julusian/jpeg-turbo ships
 * libjpeg-turbo's own libturbojpeg for Linux (x64, arm64, arm; glibc and musl) and, on macOS, an addon that
 * exports the TurboJPEG API; only the library is used (its addon decodes with the fast, inexact IDCT), and its
 * install script is denied in package.json's allowScripts. Otherwise the system's (Debian/Ubuntu `libturbojpeg0`,
 * Fedora `turbojpeg`, Homebrew `jpeg-turbo`). It takes only 8-bit grey and YCbCr JPEGs that decode without a
 * warning; sharp decodes everything it declines, and words the reasons for files that fail.
 */
import {createRequire} from 'node:module';
import {dirname, join} from 'node:path';

/** Set to `sharp` to decode every JPEG with sharp (for comparisons, or a library that misbehaves). */
export const JPEG_DECODER_ENV = 'VISUAL_CORTEX_JPEG_DECODER';

const SYSTEM_LIBRARY_NAMES: Partial<Record<NodeJS.Platform, string[]>> = {
  linux: ['libturbojpeg.so.0', 'libturbojpeg.so'],
  // dlopen does not search Homebrew's prefixes.
  darwin: [
    'libturbojpeg.dylib',
    '/opt/homebrew/opt/jpeg-turbo/lib/libturbojpeg.dylib',
    '/usr/local/opt/jpeg-turbo/lib/libturbojpeg.dylib',
  ],
  win32: ['turbojpeg.dll'],
};

const NPM_PACKAGE = '@julusian/jpeg-turbo';

/** The npm package's prebuilt library for this platform, if the package is installed (a glibc build first). */
function npmLibraryPaths(require: NodeJS.Require): {path: string; name: string}[] {
  let root: string;
  let version: string;
  try {
    const manifest = require.resolve(`${NPM_PACKAGE}/package.json`);
    root = dirname(manifest);
    version = (require(manifest) as {version?: string}).version ?? '?';
  } catch {
    return [];
  }
  const platform = `${process.platform}-${process.arch}`;
  const files =
    process.platform === 'linux'
      ? [`jpeg-turbo-${platform}/libturbojpeg.so.0`, `jpeg-turbo-${platform}-musl/libturbojpeg.so.0`]
      : process.platform === 'darwin'
        ? [`jpeg-turbo-${platform}/node-napi-v7.node`]
        : [];
  return files.map((file) => ({
    path: join(root, 'prebuilds', file),
    name: `${NPM_PACKAGE}@${version} libturbojpeg`,
  }));
}

// turbojpeg.h: TJPF_RGB, and the colour spaces taken (TJCS_YCbCr, TJCS_GRAY).
const TJPF_RGB = 0;
const TAKEN_COLORSPACES = new Set([1, 2]);

type NativeFunction = (...args: unknown[]) => unknown;

interface Library {
  name: string;
  handle: unknown;
  header: NativeFunction;
  decompress: NativeFunction;
}

/** undefined: not tried yet in this thread; null: unavailable (see `unavailableReason`). */
let library: Library | null | undefined;
let unavailableReason = '';

function load(): Library | null {
  if (library !== undefined) return library;
  library = null;
  if (process.env[JPEG_DECODER_ENV] === 'sharp') {
    unavailableReason = `${JPEG_DECODER_ENV}=sharp`;
    return library;
  }
  let koffi: typeof import('koffi');
  try {
    koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
  } catch {
    unavailableReason = 'koffi is not installed';
    return library;
  }
  const require = createRequire(import.meta.url);
  const system = SYSTEM_LIBRARY_NAMES[process.platform] ?? [];
  const candidates = [...npmLibraryPaths(require), ...system.map((name) => ({path: name, name}))];
  for (const {path, name} of candidates) {
    try {
      const lib = koffi.load(path);
      const init = lib.func('void *tjInitDecompress()');
      const header = lib.func(
        'int tjDecompressHeader3(void *handle, const uint8_t *jpeg, unsigned long size, int *width, int *height, int *subsampling, int *colorspace)',
      );
      const decompress = lib.func(
        'int tjDecompress2(void *handle, const uint8_t *jpeg, unsigned long size, uint8_t *pixels, int width, int pitch, int height, int format, int flags)',
      );
      // One decompressor per thread (a handle is not thread-safe), kept for the thread's life: it is a few KB.
      const handle = init();
      if (!handle) continue;
      library = {name, handle, header, decompress};
      return library;
    } catch {
      // Not this name: try the next.
    }
  }
  unavailableReason = `libturbojpeg not found (${candidates.map((candidate) => candidate.path).join(', ') || `no known name on ${process.platform}`})`;
  return library;
}

/** Which decoder takes JPEGs in this process: the library's name, or why sharp does. */
export function jpegDecoderStatus(): {library: string} | {unavailable: string} {
  const loaded = load();
  return loaded ? {library: loaded.name} : {unavailable: unavailableReason};
}

/** A JPEG's stored size and colour space (turbojpeg.h's TJCS_*), or undefined where libjpeg rejects its header. */
function readHeader(
  lib: Library,
  bytes: Uint8Array,
): {width: number; height: number; space: number} | undefined {
  if (bytes.length < 3 || bytes[0] !== 0xff || bytes[1] !== 0xd8 || bytes[2] !== 0xff) return undefined;
  // Width, height, subsampling, colour space. Typed arrays pass as pointers to their own memory, so nothing is
  // converted back after the call.
  const header = new Int32Array(4);
  const field = (index: number) => header.subarray(index, index + 1);
  if (lib.header(lib.handle, bytes, bytes.length, field(0), field(1), field(2), field(3)) !== 0)
    return undefined;
  const [width = 0, height = 0, , space = -1] = header;
  return width > 0 && height > 0 ? {width, height, space} : undefined;
}

/**
 * The stored width and height of a JPEG libturbojpeg takes, read by libjpeg's own header parser (every marker up
 * to the first scan) without decoding a pixel: microseconds, where sharp's header probe costs ~0.27 CPU-ms. Undefined
 * where it declines, as decodeJpegRgb does (not a JPEG, CMYK/YCCK/RGB, 12-bit, a header libjpeg rejects), or where
 * the library is absent: sharp decides those.
 */
export function readJpegSize(bytes: Uint8Array): {width: number; height: number} | undefined {
  const lib = load();
  if (!lib) return undefined;
  try {
    const header = readHeader(lib, bytes);
    return header && TAKEN_COLORSPACES.has(header.space)
      ? {width: header.width, height: header.height}
      : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a decoded size is still large enough (the fast decode's test for a DCT scale). */
export type ShrinkFits = (width: number, height: number) => boolean;

/**
 * The size libjpeg decodes a JPEG to at the smallest scale M/8 (M = 1..8) whose size still `fits`: its scaled
 * IDCT computes 1/8 to 7/8 of the pixels directly (TJSCALED: each side rounded up). 8/8 when nothing smaller fits.
 */
export function jpegScaledSize(
  width: number,
  height: number,
  fits: ShrinkFits,
): {width: number; height: number} {
  for (let eighths = 1; eighths < 8; eighths++) {
    const scaled = {width: Math.ceil((width * eighths) / 8), height: Math.ceil((height * eighths) / 8)};
    if (fits(scaled.width, scaled.height)) return scaled;
  }
  return {width, height};
}

/**
 * Interleaved RGB for a JPEG libturbojpeg takes, or undefined where it declines: not a JPEG, CMYK/YCCK/RGB,
 * 12-bit, over `pixelLimit`, or any error or warning while decoding (truncated data among them). `allocate` gives
 * the pixels' buffer (exactly `length` bytes; fresh by default). With `shrink`, libjpeg decodes at the smallest
 * DCT scale that still fits (jpegScaledSize): the fast decode, not the reference's pixels.
 */
export function decodeJpegRgb(
  bytes: Uint8Array,
  pixelLimit: number,
  allocate: (length: number) => Uint8Array = (length) => new Uint8Array(length),
  shrink?: ShrinkFits,
): {data: Uint8Array; width: number; height: number} | undefined {
  const lib = load();
  if (!lib) return undefined;
  try {
    const header = readHeader(lib, bytes);
    if (!header || header.width * header.height > pixelLimit || !TAKEN_COLORSPACES.has(header.space))
      return undefined;
    const {width, height} = shrink ? jpegScaledSize(header.width, header.height, shrink) : header;
    const data = allocate(width * height * 3);
    if (lib.decompress(lib.handle, bytes, bytes.length, data, width, 0, height, TJPF_RGB, 0) !== 0)
      return undefined;
    return {data, width, height};
  } catch {
    // koffi refusing an argument is no verdict on the image: sharp decides.
    return undefined;
  }
}
