/**
 * `node --import tsx bench/overlap.ts [--quick] [--dtype fp32]`: the overlap experiment's variants, interleaved,
 * against the bare session (`--only "batch 8"` runs the variants whose names contain that text). A profiling aid for tuning the embed pipeline; its numbers go in the report by hand.
 */
import {readdir} from 'node:fs/promises';
import {join} from 'node:path';
import type {BareResult} from './child/bare-child.js';
import type {OverlapInput, OverlapResult} from './child/overlap-child.js';
import {childScript, runChild} from './child-process.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const dtype = args.includes('q8') ? 'q8' : 'fp32';
const graph = dtype === 'q8' ? 'vision_model_quantized.onnx' : 'vision_model.onnx';
const cache = new URL('./.cache/', import.meta.url).pathname;
const modelDir = join(cache, 'models', 'vit-b32');
const list = async (dir: string, count: number) =>
  (await readdir(dir))
    .filter((name) => name.endsWith('.jpg'))
    .sort()
    .slice(0, count)
    .map((name) => join(dir, name));
const images = [
  ...(await list(join(cache, 'images', 'vga-640x480'), quick ? 64 : 256)),
  ...(await list(join(cache, 'images', 'large-2000x1500'), quick ? 16 : 64)),
];
const variants: Record<string, Partial<OverlapInput>> = {
  'as embed (spin on, 2 vips threads)': {session: {intraOpThreads: 2}, sharpConcurrency: 2},
  'spin off': {session: {intraOpThreads: 2, allowSpinning: false}, sharpConcurrency: 2},
  'spin off, 1 vips thread': {session: {intraOpThreads: 2, allowSpinning: false}, sharpConcurrency: 1},
  'spin off, 1 vips thread, batch 16': {
    session: {intraOpThreads: 2, allowSpinning: false},
    sharpConcurrency: 1,
    batchSize: 16,
  },
  'spin off, 1 vips thread, batch 8': {
    session: {intraOpThreads: 2, allowSpinning: false},
    sharpConcurrency: 1,
    batchSize: 8,
  },
  '2 sessions x 1 thread, 1 vips thread, batch 8': {
    session: {intraOpThreads: 1, allowSpinning: false},
    sharpConcurrency: 1,
    batchSize: 8,
    sessions: 2,
  },
  'spin off, 1 vips, no arena, no prepack': {
    session: {intraOpThreads: 2, allowSpinning: false, memoryArena: false, prepacking: false},
    sharpConcurrency: 1,
  },
};
// --only a,b: run just the variants whose names contain one of these (e.g. --only "batch 8").
const onlyAt = args.indexOf('--only');
const only = onlyAt >= 0 ? (args[onlyAt + 1] ?? '').split(',') : undefined;
const chosen = Object.entries(variants).filter(([name]) => !only || only.some((part) => name.includes(part)));
const timeoutMs = 20 * 60_000;
const bare = await runChild<BareResult>(
  childScript('bare-child'),
  {
    modelPath: join(modelDir, 'onnx', graph),
    images: images.length,
    batchSize: 32,
    threads: 2,
    warmupBatches: 1,
  },
  {timeoutMs},
);
console.log(
  `${dtype} bare: ${bare.result.imagesPerSecond.toFixed(2)} images/s, RSS ${bare.result.peakRssMb.toFixed(0)} MB`,
);
for (const [name, variant] of chosen) {
  const input: OverlapInput = {
    modelDir,
    graph,
    images,
    batchSize: 32,
    sharpCache: false,
    sharpConcurrency: 2,
    session: {intraOpThreads: 2},
    ...variant,
  };
  const {result} = await runChild<OverlapResult>(childScript('overlap-child'), input, {timeoutMs});
  console.log(
    `${dtype} ${name}: ${result.imagesPerSecond.toFixed(2)} images/s ` +
      `(${(result.imagesPerSecond / bare.result.imagesPerSecond).toFixed(3)} x bare), inference ` +
      `${result.inferenceSeconds.toFixed(1)} of ${result.seconds.toFixed(1)} s, RSS ${result.peakRssMb.toFixed(0)} MB`,
  );
}
