// Smoke run of bench/duplicates-scale.ts on tiny sizes: each method runs in its own process, finds every planted
// copy and reports its shape. Timings are for the real run, never asserted here.
import assert from 'node:assert/strict';
import {execFile} from 'node:child_process';
import {test} from 'node:test';
import {promisify} from 'node:util';

test('the duplicates scale bench runs both methods and reports time, RSS and planted copies found', async () => {
  const {stdout} = await promisify(execFile)(
    process.execPath,
    [
      '--import',
      'tsx',
      'bench/duplicates-scale.ts',
      '--rows',
      '1500,3000',
      '--clip-max-rows',
      '1500',
      '--no-history',
    ],
    {maxBuffer: 16 * 2 ** 20},
  );
  const report = JSON.parse(stdout);
  assert.equal(report.bench, 'duplicates-scale');
  for (const method of ['phash', 'clip']) {
    const run = report.results[method]['1500'];
    assert.ok(!('error' in run), run.error);
    assert.ok(
      run.planted > 5 && run.plantedFound === run.planted,
      `${method}: ${run.plantedFound}/${run.planted}`,
    );
    assert.ok(run.peakRssMb > 20 && run.findSeconds > 0);
  }
  assert.equal(report.results.clip['1500'].clipSearch, 'all-pairs');
  assert.match(report.results.clip['3000'].skipped, /clip-max-rows/);
  assert.ok(report.results.phash['3000'].stages.phash.cpuSeconds >= 0);
});
