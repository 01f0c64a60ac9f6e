/** Command-line options of `npm run bench`. */
import {parseArgs} from 'node:util';
import {defaultBatchSize} from '../source/core/embed/batch-size.js';
import {benchMixes, MIX_NAMES, type MixName, type MixSpec} from './images.js';

export type BenchDtype = 'fp32' | 'q8';
export type ContenderName = 'bare' | 'embed' | 'embed-fast' | 'transformers-js';
export const CONTENDERS: readonly ContenderName[] = ['bare', 'embed', 'embed-fast', 'transformers-js'];

export interface BenchOptions {
  json: boolean;
  /** A real model folder (transformers.js layout); default: the regenerated ViT-B/32 folder. */
  model?: string;
  quick: boolean;
  rss10k: boolean;
  /** Images in the memory run (10,000; 1,000 with --quick). */
  rssImages: number;
  dtypes: BenchDtype[];
  contenders: ContenderName[];
  rounds: number;
  threads: number;
  /** `embed --sessions` (default: embed's own default for the dtype). */
  embedSessions?: number;
  batchSize: number;
  download: boolean;
  downloadImages: number;
  downloadWorkers: number;
  /** The streaming run's end-to-end case (stream-bench.ts) and its image count. */
  stream: boolean;
  streamImages: number;
  history: boolean;
  /** `cli`: the built CLI in its own process (as shipped); `engine`: embedImages under tsx (no build needed). */
  embedVia: 'cli' | 'engine';
  /** Run `tsc -p tsconfig.build.json` first, so the CLI measured is the current source. */
  build: boolean;
  /** The image mixes, each run by every contender on its own (the smoke test uses tiny ones). */
  mixes: MixSpec[];
  /** The downloader's images (~100 KB JPEGs at 640x480). */
  downloadSize: [number, number];
  cacheDir: string;
  /** Scratch space for outputs of the runs (removed after). */
  workDir: string;
  timeoutMs: number;
}

export const USAGE = `Usage: npm run bench -- [options]
  --json                 print one JSON object (the table otherwise)
  --model DIR            a real model folder instead of the regenerated ViT-B/32 one
  --quick                64 / 16 / 8 images per mix, 100 downloads, one round (a rough look, not a result)
  --mix LIST             vga,large,photo (default all): 256 x 640x480, 64 x 2000x1500, 48 12-megapixel
                         photos (4032x3024 and 3024x4032, ~3.5 MB)
  --rss-10k              also embed 10,000 images (fp32) and check peak RSS < 600 MB
  --dtype fp32,q8        dtypes to measure (default both)
  --contenders LIST      bare,embed,embed-fast,transformers-js (default all), or none; embed-fast is
                         embed --decode fast
  --rounds N             repeat each contender N times, interleaved (default 2; the best round counts)
  --threads N            intra-op threads for every contender (default 2)
  --embed-sessions N     embed's inference sessions sharing those threads (default: embed's, 2 for q8)
  --batch N              batch size for every contender (default: embed's for --threads: 8, 16 from 12)
  --embed-via cli|engine cli: the built CLI, as shipped (default); engine: embedImages under tsx
  --no-build             do not rebuild dist/ before measuring the CLI
  --no-download          skip the downloader benchmark
  --no-stream            skip the streaming run (embed alone, download alone, run; 256 images, 64 --quick)
  --stream-images N      images in the streaming run
  --no-history           do not append this run to bench/history.json`;

export function parseBenchOptions(argv: string[]): BenchOptions {
  const {values} = parseArgs({
    args: argv,
    options: {
      json: {type: 'boolean', default: false},
      model: {type: 'string'},
      quick: {type: 'boolean', default: false},
      'rss-10k': {type: 'boolean', default: false},
      dtype: {type: 'string', default: 'fp32,q8'},
      contenders: {type: 'string', default: CONTENDERS.join(',')},
      mix: {type: 'string', default: MIX_NAMES.join(',')},
      rounds: {type: 'string'},
      threads: {type: 'string', default: '2'},
      'embed-sessions': {type: 'string'},
      batch: {type: 'string'},
      'embed-via': {type: 'string', default: 'cli'},
      'no-build': {type: 'boolean', default: false},
      'no-download': {type: 'boolean', default: false},
      'no-stream': {type: 'boolean', default: false},
      'stream-images': {type: 'string'},
      'no-history': {type: 'boolean', default: false},
      help: {type: 'boolean', default: false},
    },
    strict: true,
  });
  if (values.help) throw new UsageRequest();
  const dtypes = values.dtype.split(',').map((value) => {
    if (value !== 'fp32' && value !== 'q8') throw new Error(`unknown dtype '${value}' (use fp32, q8)`);
    return value;
  });
  const contenders = (values.contenders === 'none' ? [] : values.contenders.split(',')).map((value) => {
    if (!(CONTENDERS as readonly string[]).includes(value)) {
      throw new Error(`unknown contender '${value}' (use ${CONTENDERS.join(', ')})`);
    }
    return value as ContenderName;
  });
  const quick = values.quick;
  const wanted = values.mix.split(',').map((value) => {
    if (!(MIX_NAMES as readonly string[]).includes(value))
      throw new Error(`unknown mix '${value}' (use ${MIX_NAMES.join(', ')})`);
    return value as MixName;
  });
  const mixes = benchMixes(quick).filter((mix) => wanted.includes(mix.name));
  const threads = positive(values.threads, 'threads');
  const embedVia = values['embed-via'];
  if (embedVia !== 'cli' && embedVia !== 'engine')
    throw new Error(`--embed-via must be cli or engine, got '${embedVia}'`);
  return {
    json: values.json,
    ...(values.model ? {model: values.model} : {}),
    quick,
    rss10k: values['rss-10k'],
    rssImages: quick ? 1000 : 10_000,
    dtypes,
    contenders,
    rounds: positive(values.rounds ?? (quick ? '1' : '2'), 'rounds'),
    threads,
    ...(values['embed-sessions']
      ? {embedSessions: positive(values['embed-sessions'], 'embed-sessions')}
      : {}),
    batchSize: values.batch === undefined ? defaultBatchSize(threads) : positive(values.batch, 'batch'),
    download: !values['no-download'],
    downloadImages: quick ? 100 : 1000,
    downloadWorkers: 16,
    stream: !values['no-stream'],
    streamImages: positive(values['stream-images'] ?? (quick ? '64' : '256'), 'stream-images'),
    history: !values['no-history'],
    embedVia,
    build: !values['no-build'],
    mixes,
    downloadSize: [640, 480],
    cacheDir: new URL('./.cache/', import.meta.url).pathname,
    workDir: new URL(`./out/run-${process.pid}/`, import.meta.url).pathname,
    timeoutMs: 30 * 60_000,
  };
}

export class UsageRequest extends Error {}

function positive(text: string, name: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`--${name} must be a positive integer, got '${text}'`);
  return value;
}
