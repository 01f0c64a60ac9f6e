// Smoke run of `npm run bench` on tiny sizes (tiny-clip, small images, few downloads): checks that every
// contender runs and the report has its shape. Speed targets are for `npm run bench`, never asserted here.
import assert from 'node:assert/strict';
import {mkdtemp, readFile, rm, stat} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {test} from 'node:test';
import {cliAvailable, linkInputFolder, runEmbedCli} from '../../bench/embed-cli.js';
import {fixtureImageOrder} from '../../bench/fidelity.js';
import {type GraphManifest, writeExternalData} from '../../bench/model-folder.js';
import {parseBenchOptions} from '../../bench/options.js';
import {appendHistory, formatTable} from '../../bench/report.js';
import {type ContenderOutcome, type ContenderSummary, FIXTURES, runBench} from '../../bench/suite.js';
import {batchLengths} from '../../source/core/embed/batch-schedule.js';

function summary(outcome: ContenderOutcome | undefined): ContenderSummary {
  assert.ok(outcome, 'contender missing');
  assert.ok(!('error' in outcome), `contender failed: ${'error' in outcome ? outcome.error : ''}`);
  return outcome;
}

test('the bench runs every contender on every mix, the memory run and the downloader on tiny sizes', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vc-bench-'));
  try {
    const options = parseBenchOptions([
      '--quick',
      '--rss-10k',
      '--model',
      FIXTURES.tinyClip,
      '--batch',
      '4',
      '--embed-via',
      'engine',
    ]);
    Object.assign(options, {
      mixes: [
        {name: 'vga', sets: [{name: 'vga', count: 6, width: 64, height: 48}]},
        {
          name: 'photo',
          sets: [
            {name: 'photo', count: 1, width: 600, height: 450},
            {name: 'photo', count: 1, width: 450, height: 600},
          ],
        },
      ],
      rssImages: 40,
      downloadImages: 12,
      streamImages: 8,
      cacheDir: join(dir, 'cache'),
      workDir: join(dir, 'work'),
      timeoutMs: 120_000,
    });
    const lines: string[] = [];
    const report = await runBench(options, (line) => lines.push(line));
    assert.equal(report.schema, 2);
    assert.deepEqual(report.config.mixes, {vga: {'64x48': 6}, photo: {'600x450': 1, '450x600': 1}});

    for (const dtype of ['fp32', 'q8'] as const) {
      for (const [mix, images] of [
        ['vga', 6],
        ['photo', 2],
      ] as const) {
        const result = report.results[dtype]?.[mix];
        assert.ok(result, `${dtype} ${mix} missing`);
        assert.equal(result.images, images);
        const bare = summary(result.contenders.bare);
        const embed = summary(result.contenders.embed);
        const fast = summary(result.contenders['embed-fast']);
        const transformers = summary(result.contenders['transformers-js']);
        for (const contender of [bare, embed, fast, transformers]) {
          assert.ok(contender.images_per_second > 0);
          assert.ok(contender.peak_rss_mb > 50 && contender.peak_rss_mb < 2000);
          assert.ok((contender.stage_cpu_ms?.total ?? 0) > 0, JSON.stringify(contender.stage_cpu_ms));
        }
        assert.equal(
          result.ratio_to_ceiling,
          Math.round((embed.images_per_second / bare.images_per_second) * 1000) / 1000,
        );
        assert.ok(result.ratio_to_transformers_js !== undefined && result.ratio_to_transformers_js > 0);
        assert.ok(
          result.fast_ratio_to_transformers_js !== undefined && result.fast_ratio_to_transformers_js > 0,
        );
        assert.ok(result.model_idle_share !== undefined && result.model_idle_share >= 0);
        // What the CPU allows: the cores over inference + preprocessing CPU per image, measured apart.
        for (const bound of [result.bound_to_transformers_js, result.fast_bound_to_transformers_js])
          assert.ok(bound !== undefined && bound > 0, JSON.stringify(result));
        // One round (--quick): the round-by-round ratio is that round's, which is also the best rounds' ratio.
        assert.deepEqual(result.ratio_to_ceiling_by_round, [result.ratio_to_ceiling]);
        // Stages: embed's preprocessing apart from the run, the bare session's inference, transformers.js's own.
        for (const stage of ['read', 'decode', 'resample_normalise', 'inference'] as const)
          assert.ok((embed.stage_cpu_ms?.[stage] ?? -1) >= 0, `embed ${stage}`);
        assert.ok((transformers.stage_cpu_ms?.inference ?? 0) > 0);
        const sessions = dtype === 'fp32' ? 1 : 2;
        assert.equal(embed.profile?.batches, batchLengths(images, 4, sessions).length, 'ramped batches');
        assert.ok(embed.profile?.workers && embed.profile.workers.initial >= 1, 'the split is reported');
      }
    }
    // square_224.png needs no resize: both preprocessors must reproduce the reference to float precision.
    const ours = report.fidelity.embed;
    const theirs = report.fidelity['transformers-js'];
    assert.ok(ours && !('error' in ours), JSON.stringify(ours));
    assert.ok(theirs && !('error' in theirs), JSON.stringify(theirs));
    assert.ok((ours.perImageMaxAbs['square_224.png'] ?? 1) < 1e-5);
    assert.ok((theirs.perImageMaxAbs['square_224.png'] ?? 1) < 1e-5);
    assert.equal(Object.keys(ours.perImageMaxAbs).length, 8);

    assert.ok(report.preprocess && !('error' in report.preprocess), JSON.stringify(report.preprocess));
    assert.ok((report.preprocess.sets.photo?.preprocessFast.cpuMs ?? 0) > 0);
    assert.ok(report.rss_10k && !('error' in report.rss_10k), JSON.stringify(report.rss_10k));
    assert.equal(report.rss_10k.images, 40);

    assert.equal(report.download?.length, 2);
    for (const run of report.download ?? []) {
      assert.ok(!('error' in run), JSON.stringify(run));
      assert.ok(!('error' in run.download), JSON.stringify(run.download));
      assert.equal(run.download.ok, 12);
      assert.ok(run.curl.imagesPerSecond > 0 && run.ratio_to_curl !== null);
    }
    // The streaming run through the built CLI (npm test builds first).
    assert.ok(report.stream && !('error' in report.stream), JSON.stringify(report.stream));
    assert.equal(report.stream.images, 8);
    assert.ok(report.stream.run_seconds > 0 && report.stream.ratio > 0);
    const names = report.targets.map((check) => check.name);
    for (const name of [
      'embed/transformers.js fp32 photo',
      'embed --decode fast/transformers.js q8 photo',
      'embed/bare fp32 vga',
      'embed model idle share q8 vga',
      'peak RSS MB embed fp32 photo',
      'download/curl, server latency 20 ms',
      'streaming run / max(download alone, embed alone)',
    ])
      assert.ok(names.includes(name), `target ${name} in ${names.join(', ')}`);
    assert.ok(!names.some((name) => name.includes('latency 0 ms')), 'raw loopback is reported, not judged');

    const table = formatTable(report);
    assert.match(table, /q8 +photo +embed-fast +[\d.]+ +[\d.]+ +[\d.]+/);
    const historyPath = join(dir, 'history.json');
    await appendHistory(historyPath, report);
    await appendHistory(historyPath, report);
    const history = JSON.parse(await readFile(historyPath, 'utf8')) as unknown[];
    assert.equal(history.length, 2);
    await assert.rejects(stat(join(dir, 'work')), 'scratch outputs are removed');
  } finally {
    await rm(dir, {recursive: true, force: true});
  }
});

test('external data is written at the manifest offsets with each region’s distribution, deterministically', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vc-bench-data-'));
  try {
    const manifest: GraphManifest = {
      data_file: 'g.onnx_data',
      size: 3 * 65536,
      regions: [
        {name: 'w', dtype: 'float32', dims: [16384], offset: 0, length: 65536, mean: 0.5, std: 0.02},
        {name: 'ln', dtype: 'float32', dims: [256], offset: 65536, length: 1024, mean: 1, std: 0},
        {name: 'q', dtype: 'uint8', dims: [65536], offset: 2 * 65536, length: 65536, mean: null, std: null},
      ],
    };
    const first = join(dir, 'a.onnx_data');
    const second = join(dir, 'b.onnx_data');
    await writeExternalData(manifest, first, 7);
    await writeExternalData(manifest, second, 7);
    const bytes = await readFile(first);
    assert.equal(bytes.length, manifest.size);
    assert.ok(bytes.equals(await readFile(second)), 'same seed, same bytes');

    const weights = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + 65536));
    const mean = weights.reduce((sum, value) => sum + value, 0) / weights.length;
    const std = Math.sqrt(weights.reduce((sum, value) => sum + (value - mean) ** 2, 0) / weights.length);
    assert.ok(Math.abs(mean - 0.5) < 0.001, `mean ${mean}`);
    assert.ok(Math.abs(std - 0.02) < 0.001, `std ${std}`);
    const constant = new Float32Array(
      bytes.buffer.slice(bytes.byteOffset + 65536, bytes.byteOffset + 65536 + 1024),
    );
    assert.ok(constant.every((value) => value === 1));
    const gap = bytes.subarray(65536 + 1024, 2 * 65536);
    assert.ok(
      gap.every((value) => value === 0),
      'alignment gaps stay zero',
    );
    const quantised = bytes.subarray(2 * 65536);
    assert.ok(new Set(quantised).size === 256, 'uint8 regions use every byte value');
  } finally {
    await rm(dir, {recursive: true, force: true});
  }
});

test('the embed contender measures the built CLI as shipped, with its peak RSS', {
  skip: cliAvailable() ? false : 'dist/source/cli.js is not built (npm test builds it first)',
}, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vc-bench-cli-'));
  try {
    const fixtures = await fixtureImageOrder(FIXTURES.golden, FIXTURES.images);
    const result = await runEmbedCli({
      modelDir: FIXTURES.tinyClip,
      dtype: 'q8',
      imagesDir: await linkInputFolder(join(dir, 'input'), fixtures),
      embeddingsDir: join(dir, 'run'),
      batchSize: 4,
      threads: 2,
      timeoutMs: 60_000,
    });
    assert.equal(result.images, 8);
    assert.ok(result.imagesPerSecond > 0 && result.seconds > 0);
    assert.ok(result.peakRssMb > 30 && result.peakRssMb < 2000, `peak RSS ${result.peakRssMb}`);
    assert.ok(result.profile.inferenceSeconds > 0);
    await stat(join(dir, 'run', 'out', 'image_embeddings.npy'));
  } finally {
    await rm(dir, {recursive: true, force: true});
  }
});
