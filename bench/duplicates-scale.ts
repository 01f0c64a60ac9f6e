/**
 * How the duplicates finder scales: `node --import tsx bench/duplicates-scale.ts --rows 10000,100000,1000000`
 * runs each method on synthetic rows of each size in its own process (bench/child/duplicates-child.ts) and prints
 * JSON with wall and CPU seconds per stage and peak RSS; the run is appended to bench/history.json.
 * --clip-max-rows caps the clip method (an HNSW build over a million 512-d rows takes hours on 2 cores).
 */
import {cpus, loadavg} from 'node:os';
import {parseArgs} from 'node:util';
import type {DuplicatesChildInput, DuplicatesChildResult} from './child/duplicates-child.js';
import {childScript, runChild} from './child-process.js';
import {appendHistory} from './report.js';

const {values} = parseArgs({
  options: {
    rows: {type: 'string', default: '10000,100000,1000000'},
    methods: {type: 'string', default: 'phash,clip'},
    'clip-max-rows': {type: 'string', default: '100000'},
    'phash-threshold': {type: 'string', default: '10'},
    'timeout-minutes': {type: 'string', default: '120'},
    'no-history': {type: 'boolean', default: false},
  },
});
const sizes = values.rows.split(',').map(Number);
const methods = values.methods.split(',') as ('phash' | 'clip')[];
const clipMaxRows = Number(values['clip-max-rows']);
const phashThreshold = Number(values['phash-threshold']);

const loadStart = loadavg();
const results: Record<
  string,
  Record<string, DuplicatesChildResult | {skipped: string} | {error: string}>
> = {};
for (const method of methods) {
  results[method] = {};
  for (const rows of sizes) {
    if (method === 'clip' && rows > clipMaxRows) {
      results[method][rows] = {skipped: `over --clip-max-rows ${clipMaxRows}`};
      continue;
    }
    process.stderr.write(`${method} at ${rows} rows...\n`);
    const input: DuplicatesChildInput = {method, rows, dims: 512, phashThreshold, copyRate: 0.01};
    try {
      const run = await runChild<DuplicatesChildResult>(childScript('duplicates-child'), input, {
        timeoutMs: Number(values['timeout-minutes']) * 60_000,
        env: {NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-old-space-size=8192`},
      });
      results[method][rows] = run.result;
      process.stderr.write(`  ${JSON.stringify(run.result)}\n`);
    } catch (error) {
      results[method][rows] = {error: error instanceof Error ? error.message : String(error)};
    }
  }
}
const report = {
  schema: 1,
  bench: 'duplicates-scale',
  date: new Date().toISOString(),
  host: {
    cpus: cpus().length,
    cpu_model: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    load_average_start: loadStart.map((value) => Math.round(value * 100) / 100),
    load_average_end: loadavg().map((value) => Math.round(value * 100) / 100),
  },
  config: {
    rows: sizes,
    methods,
    phash_threshold: phashThreshold,
    clip_max_rows: clipMaxRows,
    copy_rate: 0.01,
  },
  results,
};
if (!values['no-history']) await appendHistory(new URL('./history.json', import.meta.url).pathname, report);
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
