/**
 * CPU cost of the perceptual hash next to decoding: `node --import tsx bench/phash-cost.ts` hashes decoded
 * 640x480 and 4000x3000 (12 MP) photos (bench/images.ts's synthetic JPEGs) and times sharp's decode of the same
 * JPEG with one libvips thread, after an untimed warm-up pass. Prints JSON; docs/duplicates.md keeps the numbers.
 */
import sharp from 'sharp';
import {perceptualHash, type RgbImage} from '../source/core/image/phash.js';
import {renderJpeg} from './images.js';

function time(rounds: number, work: () => unknown): {wallMs: number; cpuMs: number} {
  for (let round = 0; round < rounds; round++) work();
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let round = 0; round < rounds; round++) work();
  const used = process.cpuUsage(cpu);
  return {wallMs: (performance.now() - started) / rounds, cpuMs: (used.user + used.system) / 1000 / rounds};
}

async function timeAsync(
  rounds: number,
  work: () => Promise<unknown>,
): Promise<{wallMs: number; cpuMs: number}> {
  for (let round = 0; round < rounds; round++) await work();
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let round = 0; round < rounds; round++) await work();
  const used = process.cpuUsage(cpu);
  return {wallMs: (performance.now() - started) / rounds, cpuMs: (used.user + used.system) / 1000 / rounds};
}

const round2 = (cost: {wallMs: number; cpuMs: number}) => ({
  wallMs: Math.round(cost.wallMs * 100) / 100,
  cpuMs: Math.round(cost.cpuMs * 100) / 100,
});

sharp.concurrency(1);
const results: Record<string, unknown> = {};
for (const [name, width, height, rounds] of [
  ['640x480', 640, 480, 200],
  ['4000x3000', 4000, 3000, 20],
] as const) {
  const jpeg = await renderJpeg(`phash:${name}`, width, height);
  const decode = () => sharp(jpeg).raw().toBuffer({resolveWithObject: true});
  const {data, info} = await decode();
  const image: RgbImage = {data: new Uint8Array(data), width: info.width, height: info.height};
  results[name] = {
    phash: round2(time(rounds, () => perceptualHash(image))),
    sharpDecode: round2(await timeAsync(Math.min(rounds, 20), decode)),
  };
}
process.stdout.write(`${JSON.stringify({node: process.version, results}, null, 2)}\n`);
