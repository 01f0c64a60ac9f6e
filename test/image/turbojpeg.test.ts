import assert from 'node:assert/strict';
import {readFile} from 'node:fs/promises';
import {join} from 'node:path';
import {test} from 'node:test';
import {fileURLToPath} from 'node:url';
import {jpegDecoderAgreement, probeImageHeader} from '../../source/core/image/decode-image.js';
import {
  decodeWithSharp,
  type EncodeOptions,
  encodeRawImage,
  ImageDecodeError,
  probeImage,
} from '../../source/core/image/sharp-image.js';
import {decodeJpegRgb, readJpegSize} from '../../source/core/image/turbojpeg.js';
import {seededRandom} from '../../source/core/random.js';
import {turboJpegOrSkip} from '../helpers/turbojpeg.js';

const images = fileURLToPath(new URL('../fixtures/images', import.meta.url));
const variants = fileURLToPath(new URL('../fixtures/jpeg-variants', import.meta.url));
const LIMIT = 100_000_000;

/** Noise with smooth areas and hard edges: every IDCT coefficient and the chroma upsampling's edges count. */
function testPixels(width: number, height: number, channels: 1 | 3, seed: number): Uint8Array {
  const random = seededRandom(seed);
  return Uint8Array.from({length: width * height * channels}, (_, i) => {
    const x = Math.floor(i / channels) % width;
    return x < width / 3 ? Math.floor(random() * 256) : x < (2 * width) / 3 ? (x * 5) & 255 : 255 * (x & 1);
  });
}

test('libturbojpeg decodes to the same bytes as sharp: fixtures, subsamplings, progressive, arithmetic, restarts, grey, odd sizes', async (t) => {
  const library = turboJpegOrSkip(t);
  if (!library) return;
  const cases: {name: string; jpeg: Uint8Array}[] = [];
  for (const file of ['photo_640x480.jpg', 'wide_1023x511.jpg', 'gray_320x240.jpg'])
    cases.push({name: file, jpeg: await readFile(join(images, file))});
  // Layouts sharp cannot write (made with cjpeg; see the folder's README).
  for (const file of [
    'sample-422.jpg',
    'sample-440.jpg',
    'sample-411.jpg',
    'progressive-422.jpg',
    'arithmetic-420.jpg',
    'restart-420.jpg',
  ])
    cases.push({name: file, jpeg: await readFile(join(variants, file))});
  const encoded: [string, number, number, 1 | 3, EncodeOptions][] = [
    ['4:2:0', 333, 201, 3, {quality: 85}],
    ['4:4:4', 97, 61, 3, {quality: 95, chroma444: true}],
    ['progressive', 250, 131, 3, {quality: 75, progressive: true}],
    ['grey', 121, 77, 1, {quality: 90}],
    ['one pixel', 1, 1, 3, {}],
  ];
  for (const [index, [name, width, height, channels, options]] of encoded.entries()) {
    const pixels = testPixels(width, height, channels, 500 + index);
    cases.push({name, jpeg: await encodeRawImage(pixels, {width, height, channels}, 'jpeg', options)});
  }
  for (const {name, jpeg} of cases) {
    const fast = decodeJpegRgb(jpeg, LIMIT);
    assert.ok(fast, `${name}: declined`);
    const reference = await decodeWithSharp(jpeg);
    assert.deepEqual([fast.width, fast.height], [reference.width, reference.height], name);
    assert.ok(
      Buffer.from(fast.data).equals(Buffer.from(reference.data)),
      `${name}: pixels differ from sharp's`,
    );
  }
  assert.deepEqual(await jpegDecoderAgreement(), {library, identical: true});
});

test('libturbojpeg declines what sharp must decide: CMYK, truncated, over the limit, not a JPEG', async (t) => {
  if (!turboJpegOrSkip(t)) return;
  const photo = await readFile(join(images, 'photo_640x480.jpg'));
  const rgb = testPixels(32, 16, 3, 7);
  const cmyk = await encodeRawImage(rgb, {width: 32, height: 16, channels: 3}, 'jpeg', {cmyk: true});
  const png = await readFile(join(images, 'portrait_300x500.png'));
  assert.equal(decodeJpegRgb(cmyk, LIMIT), undefined, 'CMYK');
  assert.equal(decodeJpegRgb(photo.subarray(0, photo.length >> 1), LIMIT), undefined, 'truncated');
  assert.equal(decodeJpegRgb(photo.subarray(0, 200), LIMIT), undefined, 'header only');
  assert.equal(decodeJpegRgb(photo, 640 * 480 - 1), undefined, 'over the pixel limit');
  assert.ok(decodeJpegRgb(photo, 640 * 480), 'at the pixel limit');
  assert.equal(decodeJpegRgb(png, LIMIT), undefined, 'PNG');
  assert.equal(decodeJpegRgb(new Uint8Array(0), LIMIT), undefined, 'empty');
  // A subsampling libturbojpeg 2.x cannot name (1x4) is declined there and sharp decodes it; 3.x may decode it,
  // and then to sharp's bytes.
  const unnamed = await readFile(join(variants, 'sample-1x4.jpg'));
  const reference = await decodeWithSharp(unnamed);
  assert.equal(reference.width, 61, '1x4 subsampling decodes with sharp');
  const fast = decodeJpegRgb(unnamed, LIMIT);
  if (fast) assert.ok(Buffer.from(fast.data).equals(Buffer.from(reference.data)), '1x4 subsampling');
});

test("libturbojpeg's header read gives sharp's sizes and declines what decoding declines; the probe falls back to sharp", async (t) => {
  if (!turboJpegOrSkip(t)) return;
  const jpegs = [
    ...['photo_640x480.jpg', 'wide_1023x511.jpg', 'gray_320x240.jpg'].map((file) => join(images, file)),
    ...['sample-422.jpg', 'progressive-422.jpg', 'arithmetic-420.jpg', 'restart-420.jpg'].map((file) =>
      join(variants, file),
    ),
  ];
  for (const path of jpegs) {
    const bytes = await readFile(path);
    const {width, height} = await probeImage(bytes);
    assert.deepEqual(readJpegSize(bytes), {width, height}, path);
    assert.deepEqual(await probeImageHeader(bytes, width * height), {format: 'jpeg', width, height}, path);
  }
  const photo = await readFile(join(images, 'photo_640x480.jpg'));
  const cmyk = await encodeRawImage(testPixels(32, 16, 3, 7), {width: 32, height: 16, channels: 3}, 'jpeg', {
    cmyk: true,
  });
  const png = await readFile(join(images, 'portrait_300x500.png'));
  assert.equal(readJpegSize(cmyk), undefined, 'CMYK');
  assert.equal(readJpegSize(photo.subarray(0, 200)), undefined, 'cut before the first scan');
  assert.equal(readJpegSize(png), undefined, 'PNG');
  assert.equal(
    readJpegSize(Buffer.concat([photo.subarray(0, 2), Buffer.alloc(500, 0xff)])),
    undefined,
    'garbage',
  );
  // What libturbojpeg declines, sharp probes: the same answers as before, reasons worded by sharp.
  assert.deepEqual(await probeImageHeader(cmyk), {format: 'jpeg', width: 32, height: 16});
  assert.deepEqual(await probeImageHeader(png), {format: 'png', width: 300, height: 500});
  await assert.rejects(probeImageHeader(photo, 640 * 480 - 1), (error: Error) => {
    assert.ok(error instanceof ImageDecodeError);
    assert.match(error.message, /pixel limit/i); // what validateImage counts as too-many-pixels
    return true;
  });
  await assert.rejects(probeImageHeader(photo.subarray(0, 200)), ImageDecodeError);
});
