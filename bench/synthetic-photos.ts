/**
 * Deterministic stand-ins for photographs, for the perceptual-hash tests and bench/phash-distances.ts: a smooth
 * two-colour gradient in a seeded direction, a few seeded ellipses and rectangles, and grain. Like bench/images.ts
 * this imports sharp directly, to encode and to make the copies a user's photo tools make (source/ only decodes).
 */
import sharp from 'sharp';
import type {RgbImage} from '../source/core/image/phash.js';
import {seededRandom} from '../source/core/random.js';

export function renderPhoto(seed: number, width = 800, height = 600): RgbImage {
  const random = seededRandom(seed);
  const colour = () => [random() * 255, random() * 255, random() * 255] as const;
  const [from, to] = [colour(), colour()];
  const angle = random() * Math.PI * 2;
  const [dx, dy] = [Math.cos(angle), Math.sin(angle)];
  const shapes = Array.from({length: 3 + Math.floor(random() * 4)}, () => ({
    round: random() < 0.5,
    cx: random() * width,
    cy: random() * height,
    rx: (0.08 + random() * 0.25) * width,
    ry: (0.08 + random() * 0.25) * height,
    fill: colour(),
  }));
  const data = new Uint8Array(width * height * 3);
  const span = Math.abs(dx) * width + Math.abs(dy) * height;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const t = ((x - width / 2) * dx + (y - height / 2) * dy) / span + 0.5;
      let pixel: readonly number[] = [0, 1, 2].map((c) => from[c]! + (to[c]! - from[c]!) * t);
      for (const shape of shapes) {
        const nx = (x - shape.cx) / shape.rx;
        const ny = (y - shape.cy) / shape.ry;
        const inside = shape.round ? nx * nx + ny * ny <= 1 : Math.abs(nx) <= 1 && Math.abs(ny) <= 1;
        if (inside) pixel = shape.fill;
      }
      const offset = (y * width + x) * 3;
      for (let c = 0; c < 3; c++)
        data[offset + c] = Math.max(0, Math.min(255, pixel[c]! + (random() - 0.5) * 40));
    }
  }
  return {data, width, height};
}

export const encodeJpeg = (image: RgbImage, quality = 90): Promise<Buffer> =>
  sharp(image.data, {raw: {width: image.width, height: image.height, channels: 3}})
    .jpeg({quality})
    .toBuffer();

export async function decodeRgb(bytes: Buffer): Promise<RgbImage> {
  const {data, info} = await sharp(bytes).removeAlpha().raw().toBuffer({resolveWithObject: true});
  return {
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    width: info.width,
    height: info.height,
  };
}

/** The edits photo tools make: each a copy a user would call "the same photo". */
export const COPY_EDITS: Record<string, (jpeg: Buffer) => Promise<Buffer>> = {
  'resized to half': async (jpeg) => {
    const {width = 0} = await sharp(jpeg).metadata();
    return sharp(jpeg)
      .resize({width: Math.round(width / 2)})
      .jpeg({quality: 90})
      .toBuffer();
  },
  'JPEG quality 30': (jpeg) => sharp(jpeg).jpeg({quality: 30}).toBuffer(),
  '5% centre crop': async (jpeg) => {
    const {width = 0, height = 0} = await sharp(jpeg).metadata();
    const [w, h] = [Math.round(width * 0.95), Math.round(height * 0.95)];
    const region = {
      left: Math.floor((width - w) / 2),
      top: Math.floor((height - h) / 2),
      width: w,
      height: h,
    };
    return sharp(jpeg).extract(region).jpeg({quality: 90}).toBuffer();
  },
  'brightness +10%, saturation +20%': (jpeg) =>
    sharp(jpeg).modulate({brightness: 1.1, saturation: 1.2}).jpeg({quality: 90}).toBuffer(),
};
