/**
 * The collection at scale (docs/collection.md, "Scale"): for each size, a synthetic collection of random unit
 * float32 rows written as shards through the real writer, then the time to open it (read, checksum, assemble),
 * exact and HNSW search latency (p50/p99), the cost of appending one image, and the process's peak RSS. Each size
 * runs in its own process so peak RSS is that size's.
 *
 *   node --import tsx bench/collection-scale.ts --rows 10000,100000,1000000 [--hnsw-max-rows 100000] [--json]
 */
import {spawnSync} from 'node:child_process';
import {mkdtemp, readdir, rm, stat} from 'node:fs/promises';
import {cpus, loadavg, tmpdir} from 'node:os';
import {join} from 'node:path';
import {parseArgs} from 'node:util';
import {readLiveRows} from '../source/core/collection/live-index.js';
import {openCollection} from '../source/core/collection/reader.js';
import {readCollectionState} from '../source/core/collection/state.js';
import {openCollectionWriter} from '../source/core/collection/writer.js';
import {seededRandom} from '../source/core/random.js';
import {exactSearch} from '../source/core/search/exact-search.js';
import {buildHnswIndex} from '../source/core/search/hnsw-index.js';
import {appendHistory} from './report.js';

const {values} = parseArgs({
  options: {
    rows: {type: 'string', default: '10000,100000'},
    dims: {type: 'string', default: '512'},
    'shard-size': {type: 'string', default: '4096'},
    queries: {type: 'string', default: '20'},
    'hnsw-queries': {type: 'string', default: '200'},
    'hnsw-max-rows': {type: 'string', default: '100000'},
    appends: {type: 'string', default: '7'},
    work: {type: 'string', default: tmpdir()},
    json: {type: 'boolean', default: false},
    'no-history': {type: 'boolean', default: false},
    child: {type: 'string'},
  },
});
const dims = Number(values.dims);
const shardSize = Number(values['shard-size']);
const MODEL = {
  name: 'synthetic',
  path: '/synthetic',
  file: 'onnx/vision_model.onnx',
  dtype: 'fp32',
  preprocess_version: 'synthetic',
};

function unitRow(random: () => number): Float32Array {
  const row = new Float32Array(dims);
  let sum = 0;
  for (let i = 0; i < dims; i++) {
    row[i] = random() - 0.5;
    sum += row[i]! * row[i]!;
  }
  const scale = 1 / Math.sqrt(sum);
  for (let i = 0; i < dims; i++) row[i]! *= scale;
  return row;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

function latency(samples: number[]): {p50_ms: number; p99_ms: number; n: number} {
  const sorted = [...samples].sort((a, b) => a - b);
  const round = (ms: number) => Math.round(ms * 1000) / 1000;
  return {p50_ms: round(percentile(sorted, 50)), p99_ms: round(percentile(sorted, 99)), n: samples.length};
}

async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(dir, {recursive: true})) {
    const info = await stat(join(dir, name)).catch(() => undefined);
    if (info?.isFile()) total += info.size;
  }
  return total;
}

async function appendOne(dir: string, random: () => number, index: number): Promise<number> {
  const started = performance.now();
  const writer = await openCollectionWriter({embeddingsDir: dir, command: 'bench'});
  await writer.bind({imagesDir: '/synthetic', model: MODEL, dims});
  await writer.append({
    rows: [unitRow(random)],
    filenames: [`appended/${index}.jpg`],
    images: [{sha256: String(index).padStart(64, '0'), bytes: 1, mtime_ms: 0}],
  });
  await writer.commit();
  await writer.close();
  return performance.now() - started;
}

async function measure(rows: number): Promise<Record<string, unknown>> {
  const dir = await mkdtemp(join(values.work, 'vc-collection-scale-'));
  const random = seededRandom(rows);
  try {
    let started = performance.now();
    const writer = await openCollectionWriter({embeddingsDir: dir, shardSize, command: 'bench'});
    await writer.bind({imagesDir: '/synthetic', model: MODEL, dims});
    for (let start = 0; start < rows; start += shardSize) {
      const count = Math.min(shardSize, rows - start);
      const batch = Array.from({length: count}, () => unitRow(random));
      const names = Array.from({length: count}, (_, i) => `img/${start + i}.jpg`);
      const images = names.map((_, i) => ({
        sha256: String(start + i).padStart(64, '0'),
        bytes: 1,
        mtime_ms: 0,
      }));
      await writer.append({rows: batch, filenames: names, images});
    }
    await writer.commit();
    await writer.close();
    const writeSeconds = (performance.now() - started) / 1000;

    started = performance.now();
    const opened = await openCollection(dir);
    const openSeconds = (performance.now() - started) / 1000;
    const rssAfterOpen = process.memoryUsage().rss;

    started = performance.now();
    const state = await readCollectionState(dir);
    const live = await readLiveRows(state!);
    const liveIndexSeconds = (performance.now() - started) / 1000;

    const queries = Array.from({length: Number(values.queries)}, () => unitRow(random));
    const exact = queries.map((query) => {
      const t = performance.now();
      exactSearch(opened.matrix, query, 10);
      return performance.now() - t;
    });

    let hnsw: Record<string, unknown> = {skipped: `rows > --hnsw-max-rows ${values['hnsw-max-rows']}`};
    if (rows <= Number(values['hnsw-max-rows'])) {
      started = performance.now();
      const index = await buildHnswIndex(opened.matrix);
      const buildSeconds = (performance.now() - started) / 1000;
      const hnswQueries = Array.from({length: Number(values['hnsw-queries'])}, () => unitRow(random));
      const samples = hnswQueries.map((query) => {
        const t = performance.now();
        index.search(query, 10);
        return performance.now() - t;
      });
      let hits = 0;
      for (const query of queries) {
        const truth = new Set(exactSearch(opened.matrix, query, 10).map((hit) => hit.row));
        hits += index.search(query, 10).filter((hit) => truth.has(hit.row)).length;
      }
      hnsw = {
        build_seconds: Math.round(buildSeconds * 10) / 10,
        ...latency(samples),
        recall_at_10: hits / (10 * queries.length),
        settings: index.settings,
      };
    }

    const appends: number[] = [];
    for (let i = 0; i < Number(values.appends); i++) appends.push(await appendOne(dir, random, i));
    return {
      rows,
      dims,
      shard_size: shardSize,
      shards: opened.state.shards.length,
      disk_bytes: await folderBytes(dir),
      write_seconds: Math.round(writeSeconds * 100) / 100,
      open_seconds: Math.round(openSeconds * 1000) / 1000,
      live_index_seconds: Math.round(liveIndexSeconds * 1000) / 1000,
      live_rows_read: live.length,
      exact: latency(exact),
      hnsw,
      append_one: latency(appends),
      rss_after_open_bytes: rssAfterOpen,
      peak_rss_bytes: process.resourceUsage().maxRSS * 1024,
    };
  } finally {
    await rm(dir, {recursive: true, force: true});
  }
}

async function main(): Promise<void> {
  if (values.child) {
    process.stdout.write(`${JSON.stringify(await measure(Number(values.child)))}\n`);
    return;
  }
  const sizes = values.rows.split(',').map(Number);
  const loadStart = loadavg();
  const results: Record<string, unknown>[] = [];
  for (const rows of sizes) {
    process.stderr.write(`collection of ${rows} rows…\n`);
    const forwarded = Object.entries(values).flatMap(([key, value]) =>
      ['rows', 'json', 'no-history', 'child'].includes(key) ? [] : [`--${key}`, String(value)],
    );
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', new URL(import.meta.url).pathname, '--child', String(rows), ...forwarded],
      {encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20},
    );
    if (child.status !== 0) throw new Error(`the run of ${rows} rows failed (exit ${child.status})`);
    const result = JSON.parse(child.stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
    results.push(result);
    process.stderr.write(`${JSON.stringify(result)}\n`);
  }
  const report = {
    schema: 1,
    kind: 'collection-scale',
    date: new Date().toISOString(),
    host: {cpus: cpus().length, cpu_model: cpus()[0]?.model ?? '', node: process.version},
    load_average_start: loadStart,
    load_average_end: loadavg(),
    note: 'open times are with the files in the page cache (just written)',
    results,
  };
  if (!values['no-history'])
    await appendHistory(new URL('./history.json', import.meta.url).pathname, report as never);
  process.stdout.write(`${JSON.stringify(report, null, values.json ? 2 : undefined)}\n`);
}

await main();
