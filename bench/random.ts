/** Seeded, fast pseudo-random numbers for deterministic bench data (sfc32; not for cryptography). */
import {createHash} from 'node:crypto';

export type Random = () => number;

/** Uniform in [0, 1), seeded from any text. */
export function seedFromText(text: string): Random {
  const digest = createHash('sha256').update(text).digest();
  let a = digest.readUInt32LE(0);
  let b = digest.readUInt32LE(4);
  let c = digest.readUInt32LE(8);
  let d = digest.readUInt32LE(12);
  return () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4_294_967_296;
  };
}

/** normal(mean, std) by Box-Muller; std 0 gives the constant. */
export function fillNormal(target: Float32Array, mean: number, std: number, random: Random): void {
  if (std === 0) {
    target.fill(mean);
    return;
  }
  for (let index = 0; index < target.length; index += 2) {
    const radius = Math.sqrt(-2 * Math.log(1 - random())) * std;
    const angle = 2 * Math.PI * random();
    target[index] = mean + radius * Math.cos(angle);
    if (index + 1 < target.length) target[index + 1] = mean + radius * Math.sin(angle);
  }
}

export function fillUniformBytes(target: Uint8Array, random: Random): void {
  const words = Math.floor(target.length / 4);
  const view = new DataView(target.buffer, target.byteOffset, target.byteLength);
  for (let word = 0; word < words; word++) view.setUint32(word * 4, (random() * 4_294_967_296) >>> 0, true);
  for (let index = words * 4; index < target.length; index++) target[index] = (random() * 256) | 0;
}
