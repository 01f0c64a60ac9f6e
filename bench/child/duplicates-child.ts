/**
 * One duplicates-finder run on synthetic rows, in its own process so that its peak RSS is its own. phash: random
 * 64-bit hashes, 1% of rows copies of another row with 0..threshold bits flipped; clip: random 512-d unit vectors,
 * 1% copies with noise (cosine ~0.975). Reports per-stage wall and CPU seconds and how many planted copies
 * ended in their source's group.
 */
import {findDuplicates} from '../../source/core/duplicates/find-duplicates.js';
import type {PhashColumn} from '../../source/core/duplicates/phash-column.js';
import type {EmbeddingMatrix} from '../../source/core/search/exact-search.js';
import {childMain, peakRssMb} from '../child-process.js';
import {fillNormal, seedFromText} from '../random.js';

export interface DuplicatesChildInput {
  method: 'phash' | 'clip';
  rows: number;
  dims: number;
  phashThreshold: number;
  /** Planted copies per row (0.01 = 1%). */
  copyRate: number;
}

export interface StageTiming {
  wallSeconds: number;
  cpuSeconds: number;
}

export interface DuplicatesChildResult {
  generateSeconds: number;
  stages: Record<string, StageTiming>;
  findSeconds: number;
  findCpuSeconds: number;
  clipSearch: string | null;
  groups: number;
  planted: number;
  plantedFound: number;
  inputMb: number;
  peakRssMb: number;
}

function plantPairs(rows: number, rate: number, random: () => number): [number, number][] {
  const pairs: [number, number][] = [];
  for (let copy = 1; copy < rows; copy++)
    if (random() < rate) pairs.push([Math.floor(random() * copy), copy]);
  return pairs;
}

function phashRows(
  input: DuplicatesChildInput,
  pairs: [number, number][],
  random: () => number,
): PhashColumn {
  const hi = Uint32Array.from({length: input.rows}, () => random() * 2 ** 32);
  const lo = Uint32Array.from({length: input.rows}, () => random() * 2 ** 32);
  for (const [source, copy] of pairs) {
    let [h, l] = [hi[source]!, lo[source]!];
    const flips = Math.floor(random() * (input.phashThreshold + 1));
    const bits = new Set<number>();
    while (bits.size < flips) bits.add(Math.floor(random() * 64));
    for (const bit of bits) {
      if (bit >= 32) h ^= 1 << (bit - 32);
      else l ^= 1 << bit;
    }
    [hi[copy], lo[copy]] = [h >>> 0, l >>> 0];
  }
  return {hi, lo, present: new Uint8Array(input.rows).fill(1)};
}

function normaliseRow(data: Float32Array, row: number, dims: number): void {
  let sum = 0;
  for (let i = row * dims; i < (row + 1) * dims; i++) sum += data[i]! * data[i]!;
  const scale = 1 / Math.sqrt(sum);
  for (let i = row * dims; i < (row + 1) * dims; i++) data[i]! *= scale;
}

function clipRows(
  input: DuplicatesChildInput,
  pairs: [number, number][],
  random: () => number,
): EmbeddingMatrix {
  const {rows, dims} = input;
  const data = new Float32Array(rows * dims);
  fillNormal(data, 0, 1, random);
  for (let row = 0; row < rows; row++) normaliseRow(data, row, dims);
  const noise = new Float32Array(dims);
  for (const [source, copy] of pairs) {
    fillNormal(noise, 0, 0.01, random);
    for (let i = 0; i < dims; i++) data[copy * dims + i] = data[source * dims + i]! + noise[i]!;
    normaliseRow(data, copy, dims);
  }
  return {data, rows, dims};
}

const cpuSeconds = () => {
  const used = process.cpuUsage();
  return (used.user + used.system) / 1e6;
};

await childMain<DuplicatesChildInput, DuplicatesChildResult>(async (input) => {
  const random = seedFromText(`duplicates-scale:${input.method}:${input.rows}`);
  let started = performance.now();
  const pairs = plantPairs(input.rows, input.copyRate, random);
  const phash = input.method === 'phash' ? phashRows(input, pairs, random) : undefined;
  const embeddings = input.method === 'clip' ? clipRows(input, pairs, random) : undefined;
  const generateSeconds = (performance.now() - started) / 1000;
  const sha256 = Array.from({length: input.rows}, (_, row) => `row-${row}`);

  const stages: Record<string, StageTiming> = {};
  let current: {name: string; wall: number; cpu: number} | undefined;
  const close = () => {
    if (current)
      stages[current.name] = {
        wallSeconds: (performance.now() - current.wall) / 1000,
        cpuSeconds: cpuSeconds() - current.cpu,
      };
  };
  const findCpu = cpuSeconds();
  started = performance.now();
  const report = await findDuplicates({
    sha256,
    phash,
    embeddings,
    method: input.method,
    phashThreshold: input.phashThreshold,
    onEvent: (event) => {
      if (event.type !== 'stage' && event.type !== 'done') return;
      close();
      current =
        event.type === 'stage' ? {name: event.stage, wall: performance.now(), cpu: cpuSeconds()} : undefined;
    },
  });
  const findSeconds = (performance.now() - started) / 1000;
  const groupOf = new Int32Array(input.rows).fill(-1);
  report.groups.forEach((group, index) => {
    for (const member of group.members) groupOf[member.row] = index;
  });
  const plantedFound = pairs.filter(([a, b]) => groupOf[a] !== -1 && groupOf[a] === groupOf[b]).length;
  const inputBytes =
    (phash ? phash.hi.byteLength * 2 + phash.present.byteLength : 0) + (embeddings?.data.byteLength ?? 0);
  return {
    generateSeconds,
    stages,
    findSeconds,
    findCpuSeconds: cpuSeconds() - findCpu,
    clipSearch: report.clipSearch,
    groups: report.groups.length,
    planted: pairs.length,
    plantedFound,
    inputMb: Math.round(inputBytes / 2 ** 20),
    peakRssMb: Math.round(peakRssMb()),
  };
});
