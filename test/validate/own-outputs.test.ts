/**
 * Every output set the tool writes passes `validate`: an interrupted run's (its counts say how many files it
 * never reached) and a multi-session run's (inference summed over sessions exceeds the wall time). The rules are
 * also checked on edited metadata, with the numbers of the runs that failed them before.
 */
import assert from 'node:assert/strict';
import {cp, mkdir, mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';
import {embedImages} from '../../source/core/embed/embed-images.js';
import {validateOutputs} from '../../source/core/validate/validate-outputs.js';
import {
  createRunFixture,
  dropFingerprints,
  editMetadata,
  FIXTURE_IMAGES,
  type RunFixture,
  statusOf,
  TINY_CLIP,
  validate,
} from './validate-fixture.js';

let work: string;
let fixture: RunFixture;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'vc-own-outputs-'));
  fixture = await createRunFixture();
});
after(async () => {
  await rm(work, {recursive: true, force: true});
  await fixture?.cleanup();
});

function metadataFailures(report: Awaited<ReturnType<typeof validate>>): string {
  return statusOf(report, 'metadata')
    .details.filter((detail) => detail.kind === 'fail')
    .map((detail) => detail.message)
    .join('\n');
}

describe("validate passes the tool's own outputs", () => {
  test('an interrupted embed: counts.not_reached says how many files it never tried', async () => {
    const imagesDir = join(work, 'many');
    for (let copy = 0; copy < 4; copy++)
      await cp(FIXTURE_IMAGES, join(imagesDir, `set-${copy}`), {recursive: true});
    const embeddingsDir = join(work, 'interrupted');
    const controller = new AbortController();
    const report = await embedImages({
      imagesDir,
      embeddingsDir,
      model: TINY_CLIP,
      modelsDir: join(work, 'models'),
      dtype: 'fp32',
      device: 'cpu',
      batchSize: 2,
      threads: 1,
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === 'batch') controller.abort();
      },
    });
    const {counts, interrupted} = report.metadata;
    assert.equal(interrupted, true);
    assert.equal(counts.inputs, 32);
    assert.ok(counts.ok > 0 && counts.ok < 32, `${counts.ok} embedded`);
    assert.equal(counts.not_reached, counts.inputs - counts.ok - counts.failed);
    const validation = await validateOutputs({
      embeddingsDir,
      modelsDir: join(work, 'models'),
      seed: 3,
    });
    assert.ok(
      validation.passed,
      JSON.stringify(validation.checks.filter((check) => check.status !== 'passed')),
    );
    assert.match(
      statusOf(validation, 'metadata')
        .details.map((d) => d.message)
        .join('\n'),
      /not reached/,
    );
  });

  test('a q8 run on two sessions', async () => {
    const embeddingsDir = join(work, 'q8');
    await mkdir(embeddingsDir);
    const report = await embedImages({
      imagesDir: FIXTURE_IMAGES,
      embeddingsDir,
      model: TINY_CLIP,
      modelsDir: join(work, 'models'),
      dtype: 'q8',
      device: 'cpu',
      batchSize: 2,
      threads: 2,
      sessions: 2,
    });
    assert.equal(report.metadata.inference_sessions, 2);
    // The spot check's q8 tolerance is another change's; this run is about the metadata.
    const validation = await validateOutputs({
      embeddingsDir,
      modelsDir: join(work, 'models'),
      sample: 0,
    });
    assert.ok(
      validation.passed,
      JSON.stringify(validation.checks.filter((check) => check.status !== 'passed')),
    );
  });
});

describe('the metadata rules those runs rely on', () => {
  test('two sessions: inference up to 2 x total passes; one session over total fails', async () => {
    const dir = await fixture.copy('sessions');
    // A full-size q8 run on two sessions that was rejected before: inference summed 74.1 s over a 41.3 s run.
    await editMetadata(dir, (metadata) => {
      metadata.inference_sessions = 2;
      metadata.timings_seconds = {load: 1.2, preprocess: 30.5, inference: 74.1, write: 0.1, total: 41.3};
      metadata.images_per_second = metadata.counts.ok / 39.9;
    });
    const two = await validate(fixture, dir, {sample: 0});
    assert.equal(statusOf(two, 'metadata').status, 'passed', metadataFailures(two));

    await editMetadata(dir, (metadata) => {
      metadata.inference_sessions = 1;
    });
    assert.match(
      metadataFailures(await validate(fixture, dir, {sample: 0})),
      /inference 74\.1s exceeds total 41\.3s/,
    );
    await editMetadata(dir, (metadata) => {
      metadata.inference_sessions = 2;
      metadata.timings_seconds.inference = 90;
    });
    assert.match(
      metadataFailures(await validate(fixture, dir, {sample: 0})),
      /inference 90s \(summed over 2 sessions\) exceeds 2 x total 41\.3s/,
    );
  });

  test('not_reached must add up, and only an interrupted run has any', async () => {
    const dir = await fixture.copy('not-reached');
    await editMetadata(dir, (metadata) => {
      metadata.counts.inputs += 5;
      metadata.counts.not_reached = 5;
    });
    assert.match(
      metadataFailures(await validate(fixture, dir, {sample: 0})),
      /counts\.not_reached is 5, but the run was not interrupted/,
    );
    await editMetadata(dir, (metadata) => {
      metadata.interrupted = true;
    });
    const interrupted = await validate(fixture, dir, {sample: 0});
    assert.equal(statusOf(interrupted, 'metadata').status, 'passed', metadataFailures(interrupted));
    await editMetadata(dir, (metadata) => {
      metadata.counts.not_reached = 3;
    });
    assert.match(
      metadataFailures(await validate(fixture, dir, {sample: 0})),
      /counts\.ok \+ counts\.failed \+ counts\.not_reached = \d+, but counts\.inputs is \d+/,
    );
  });

  test('an interrupted run of an earlier version (no not_reached, inputs = files found) passes', async () => {
    const dir = await fixture.copy('legacy-interrupted');
    await dropFingerprints(dir);
    await editMetadata(dir, (metadata) => {
      // The run of the report: 151 of 300 files tried when it stopped.
      delete (metadata.counts as Partial<typeof metadata.counts>).not_reached;
      metadata.counts.inputs = 300;
      metadata.interrupted = true;
    });
    const report = await validate(fixture, dir, {sample: 0});
    assert.equal(statusOf(report, 'metadata').status, 'passed', metadataFailures(report));
    await editMetadata(dir, (metadata) => {
      metadata.interrupted = false;
    });
    assert.match(
      metadataFailures(await validate(fixture, dir, {sample: 0})),
      /counts\.ok \+ counts\.failed = \d+, but counts\.inputs is 300/,
    );
  });
});
