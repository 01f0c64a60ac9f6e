import assert from 'node:assert/strict';
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {test} from 'node:test';
import {fileURLToPath} from 'node:url';
import {deflateSync} from 'node:zlib';
import {parsePreprocessorConfig, preprocessImage} from '../../source/core/image/clip-preprocess.js';
import {decodeImageRgb} from '../../source/core/image/decode-image.js';
import {encodeRawImage, ImageDecodeError} from '../../source/core/image/sharp-image.js';

const images = fileURLToPath(new URL('../fixtures/images', import.meta.url));
const config = parsePreprocessorConfig({});

function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  assert.equal(a.length, b.length);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

test('JPEG, PNG, WebP, GIF, TIFF and AVIF all decode to the same RGB pixels (lossless ones exactly)', async (t) => {
  const source = await decodeImageRgb(join(images, 'portrait_300x500.png'));
  const size = {width: source.width, height: source.height, channels: 3 as const};
  const dir = await mkdtemp(join(tmpdir(), 'vc-formats-'));
  t.after(() => rm(dir, {recursive: true, force: true}));
  const cases = [
    {file: 'a.png', format: 'png', options: {}, tolerance: 0},
    {file: 'a.webp', format: 'webp', options: {lossless: true}, tolerance: 0},
    {file: 'a.tiff', format: 'tiff', options: {lossless: true}, tolerance: 0},
    {file: 'a.avif', format: 'avif', options: {lossless: true}, tolerance: 0},
    // Lossy: the source is noisy (sigma 6 per channel), so allow what the encoders lose.
    {file: 'a.jpg', format: 'jpeg', options: {quality: 95}, tolerance: 8},
    {file: 'b.webp', format: 'webp', options: {quality: 95}, tolerance: 8},
    {file: 'b.avif', format: 'avif', options: {quality: 90}, tolerance: 8},
    {file: 'b.tiff', format: 'tiff', options: {quality: 95}, tolerance: 8},
    {file: 'a.gif', format: 'gif', options: {}, tolerance: 12},
  ] as const;
  for (const {file, format, options, tolerance} of cases) {
    await writeFile(join(dir, file), await encodeRawImage(source.data, size, format, options));
    const decoded = await decodeImageRgb(join(dir, file));
    assert.equal(decoded.width, 300);
    assert.equal(decoded.height, 500);
    const diff = meanAbsDiff(decoded.data, source.data);
    t.diagnostic(`${file}: ${decoded.format}, mean abs diff ${diff.toFixed(3)} (uint8 levels)`);
    assert.ok(diff <= tolerance, `${file}: mean abs diff ${diff}`);
    const tensor = await preprocessImage(join(dir, file), config);
    assert.ok(tensor.every(Number.isFinite));
  }
});

test('grey, grey+alpha and palette PNGs become RGB as PIL convert("RGB") does: replicate, drop alpha', async () => {
  const grey = Uint8Array.from({length: 20 * 10}, (_, i) => (i * 7) & 255);
  const decodedGrey = await decodeImageRgb(
    await encodeRawImage(grey, {width: 20, height: 10, channels: 1}, 'png'),
  );
  assert.deepEqual(
    decodedGrey.data,
    Uint8Array.from({length: 600}, (_, i) => grey[Math.floor(i / 3)]!),
  );

  const greyAlpha = Uint8Array.from({length: 20 * 10 * 2}, (_, i) =>
    i % 2 ? 255 - (i & 255) : (i * 5) & 255,
  );
  const la = await decodeImageRgb(
    await encodeRawImage(greyAlpha, {width: 20, height: 10, channels: 2}, 'png'),
  );
  assert.deepEqual(
    la.data,
    Uint8Array.from({length: 600}, (_, i) => greyAlpha[Math.floor(i / 3) * 2]!),
  );

  const colours = [
    [200, 30, 60, 255],
    [10, 220, 40, 128],
    [250, 250, 10, 255],
    [0, 90, 255, 30],
  ];
  const rgba = new Uint8Array(16 * 8 * 4);
  for (let i = 0; i < 128; i++) rgba.set(colours[(i >> 2) % 4]!, i * 4);
  const png = await encodeRawImage(rgba, {width: 16, height: 8, channels: 4}, 'png', {palette: true});
  const palette = await decodeImageRgb(png);
  for (let i = 0; i < 128; i++) {
    assert.deepEqual([...palette.data.subarray(i * 3, i * 3 + 3)], colours[(i >> 2) % 4]!.slice(0, 3));
  }
  // The golden alpha_400x300.png (an alpha ramp) is covered by the golden test: alpha dropped, not composited.
});

test('an animated GIF decodes its first frame; EXIF orientation is not applied, as in PIL', async () => {
  const frames = new Uint8Array(8 * 16 * 3);
  for (let i = 0; i < 64; i++) frames.set([255, 0, 0], i * 3);
  for (let i = 64; i < 128; i++) frames.set([0, 0, 255], i * 3);
  const gif = await encodeRawImage(frames, {width: 8, height: 16, channels: 3}, 'gif', {frameHeight: 8});
  const first = await decodeImageRgb(gif);
  assert.equal(first.format, 'gif');
  assert.deepEqual([first.width, first.height], [8, 8]);
  assert.deepEqual([...first.data.subarray(0, 6)], [255, 0, 0, 255, 0, 0]);

  const wide = Uint8Array.from({length: 30 * 10 * 3}, (_, i) => (i * 11) & 255);
  const size = {width: 30, height: 10, channels: 3} as const;
  const rotated = await decodeImageRgb(await encodeRawImage(wide, size, 'png', {orientation: 6}));
  const plain = await decodeImageRgb(await encodeRawImage(wide, size, 'png'));
  assert.deepEqual([rotated.width, rotated.height], [30, 10]);
  assert.deepEqual(rotated.data, plain.data);
});

test('a CMYK JPEG decodes to RGB', async () => {
  const rgb = Uint8Array.from({length: 32 * 16 * 3}, (_, i) => (i * 13) & 255);
  const jpeg = await encodeRawImage(rgb, {width: 32, height: 16, channels: 3}, 'jpeg', {cmyk: true});
  const decoded = await decodeImageRgb(jpeg);
  assert.deepEqual([decoded.width, decoded.height, decoded.data.length], [32, 16, 32 * 16 * 3]);
});

/** A small PNG (valid chunks and CRCs) whose header claims the given size: a decompression bomb's shape. */
function pngClaiming(width: number, height: number): Uint8Array {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(Buffer.alloc(4096))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

function pngChunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const chunk = Buffer.alloc(8 + data.length + 4);
  chunk.writeUInt32BE(data.length, 0);
  body.copy(chunk, 4);
  chunk.writeUInt32BE(crc32(body), 4 + body.length);
  return chunk;
}

function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

test('bad inputs reject with ImageDecodeError and a reason that names the problem', async (t) => {
  const jpeg = await readFile(join(images, 'photo_640x480.jpg'));
  const png = await readFile(join(images, 'portrait_300x500.png'));
  const dir = await mkdtemp(join(tmpdir(), 'vc-bad-'));
  t.after(() => rm(dir, {recursive: true, force: true}));
  await writeFile(join(dir, 'empty.jpg'), new Uint8Array(0));
  const cases: Array<{name: string; input: Uint8Array | string; reason: RegExp; pixelLimit?: number}> = [
    {name: 'not an image', input: Buffer.from('hello, I am a text file'), reason: /not an image/},
    {name: 'truncated JPEG', input: jpeg.subarray(0, jpeg.length >> 1), reason: /corrupt or truncated/},
    {name: 'truncated PNG', input: png.subarray(0, png.length >> 1), reason: /corrupt or truncated/},
    {name: 'zero bytes (buffer)', input: new Uint8Array(0), reason: /empty file/},
    {name: 'zero bytes (file)', input: join(dir, 'empty.jpg'), reason: /empty file/},
    {name: 'missing file', input: join(dir, 'nope.jpg'), reason: /file not found/},
    {
      name: 'bomb header',
      input: pngClaiming(60_000, 60_000),
      reason: /60000x60000, over the 100000000-pixel limit/,
    },
    {name: 'over a pixel limit', input: jpeg, pixelLimit: 1000, reason: /640x480, over the 1000-pixel limit/},
  ];
  for (const {name, input, reason, pixelLimit} of cases) {
    const error = await preprocessImage(input, config, pixelLimit ? {pixelLimit} : {}).then(
      () => assert.fail(`${name}: decoded`),
      (caught: unknown) => caught,
    );
    assert.ok(error instanceof ImageDecodeError, `${name}: ${String(error)}`);
    assert.match(error.message, reason, name);
    t.diagnostic(`${name}: ${error.message}`);
  }
});
