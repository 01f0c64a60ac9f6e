/**
 * Deterministic synthetic JPEGs for the benchmarks: smooth colour fields plus seeded grain, so they decode and
 * compress like photographs (about 100 KB at 640x480) rather than like flat test cards.
 * bench/ is tooling, not the product: it imports sharp directly to encode (source/ only decodes).
 */
import {mkdir, readdir, rename, symlink, writeFile} from 'node:fs/promises';
import {join} from 'node:path';
import sharp from 'sharp';
import {seedFromText} from './random.js';

export interface ImageSetSpec {
  name: string;
  count: number;
  width: number;
  height: number;
}

export const FULL_IMAGE_SETS: readonly ImageSetSpec[] = [
  {name: 'vga', count: 256, width: 640, height: 480},
  {name: 'large', count: 64, width: 2000, height: 1500},
];

/** The bench's mixes: each contender runs each mix on its own, so a mix's costs are never averaged away. */
export type MixName = 'vga' | 'large' | 'photo';
export const MIX_NAMES: readonly MixName[] = ['vga', 'large', 'photo'];

export interface MixSpec {
  name: MixName;
  /** Interleaved image by image (a phone's folder mixes landscape and portrait shots). */
  sets: ImageSetSpec[];
}

/** Full-size mixes; `quick` takes a quarter of the images (one sixth of the photos). */
export function benchMixes(quick: boolean): MixSpec[] {
  const scale = (count: number, quickCount: number) => (quick ? quickCount : count);
  return [
    {name: 'vga', sets: [{name: 'vga', count: scale(256, 64), width: 640, height: 480}]},
    {name: 'large', sets: [{name: 'large', count: scale(64, 16), width: 2000, height: 1500}]},
    {
      // A phone's 12-megapixel photos, ~3.5 MB each.
      name: 'photo',
      sets: [
        {name: 'photo', count: scale(24, 4), width: 4032, height: 3024},
        {name: 'photo', count: scale(24, 4), width: 3024, height: 4032},
      ],
    },
  ];
}

/** A mix's images in run order: its sets interleaved one image at a time. */
export async function ensureMix(dir: string, mix: MixSpec): Promise<string[]> {
  const perSet = await Promise.all(mix.sets.map((set) => ensureImageSets(dir, [set])));
  const longest = Math.max(0, ...perSet.map((paths) => paths.length));
  const order: string[] = [];
  for (let index = 0; index < longest; index++)
    for (const paths of perSet) if (index < paths.length) order.push(paths[index] as string);
  return order;
}

/** Grain amplitude tuned so a 640x480 image is about 100 KB at quality 85. */
const GRAIN = 50;

export async function renderJpeg(seedText: string, width: number, height: number): Promise<Buffer> {
  const random = seedFromText(seedText);
  const waves = Array.from({length: 3}, () => ({
    fx: (random() * 6 + 1) / width,
    fy: (random() * 6 + 1) / height,
    phase: random() * Math.PI * 2,
  }));
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const offset = (y * width + x) * 3;
      for (let channel = 0; channel < 3; channel++) {
        const wave = waves[channel]!;
        const base = 128 + 100 * Math.sin(2 * Math.PI * (wave.fx * x + wave.fy * y) + wave.phase);
        pixels[offset + channel] = Math.max(0, Math.min(255, base + (random() - 0.5) * GRAIN));
      }
    }
  }
  return sharp(pixels, {raw: {width, height, channels: 3}})
    .jpeg({quality: 85})
    .toBuffer();
}

/** Writes the sets under dir/<set>/NNNN.jpg unless already complete; returns all paths, sets in order. */
export async function ensureImageSets(dir: string, sets: readonly ImageSetSpec[]): Promise<string[]> {
  const paths: string[] = [];
  for (const set of sets) {
    const setDir = join(dir, `${set.name}-${set.width}x${set.height}`);
    await mkdir(setDir, {recursive: true});
    const present = new Set(await readdir(setDir));
    for (let index = 0; index < set.count; index++) {
      const file = `${String(index).padStart(4, '0')}.jpg`;
      const path = join(setDir, file);
      if (!present.has(file)) {
        const jpeg = await renderJpeg(`${set.name}:${index}`, set.width, set.height);
        // Written under a temporary name first, so an interrupted run never leaves a truncated image behind.
        await writeFile(`${path}.part`, jpeg);
        await rename(`${path}.part`, path);
      }
      paths.push(path);
    }
  }
  return paths;
}

/** A folder of `count` symlinks cycling over `images` (for the 10,000-image memory run). */
export async function ensureLinkFolder(
  dir: string,
  images: readonly string[],
  count: number,
): Promise<string> {
  await mkdir(dir, {recursive: true});
  const present = new Set(await readdir(dir));
  for (let index = 0; index < count; index++) {
    const file = `${String(index).padStart(5, '0')}.jpg`;
    if (!present.has(file)) await symlink(images[index % images.length]!, join(dir, file));
  }
  return dir;
}
