/** Reproducible sampling for the spot check: a seeded generator (mulberry32) and distinct indices. */

export {seededRandom} from '../random.js';

/** `count` distinct indices from [0, size), in sampling order (a partial Fisher-Yates shuffle). */
export function sampleIndices(size: number, count: number, random: () => number): number[] {
  const chosen = Math.min(size, Math.max(0, count));
  const swapped = new Map<number, number>();
  const picked: number[] = [];
  for (let step = 0; step < chosen; step++) {
    const target = step + Math.floor(random() * (size - step));
    const atTarget = swapped.get(target) ?? target;
    swapped.set(target, swapped.get(step) ?? step);
    picked.push(atTarget);
  }
  return picked;
}
