import assert from 'node:assert/strict';
import {readFile, rm, truncate, writeFile} from 'node:fs/promises';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';
import {UserError} from '../../source/core/errors.js';
import {jpegDecoderStatus} from '../../source/core/image/turbojpeg.js';
import type {ValidationEvent} from '../../source/core/validate/types.js';
import {validateOutputs} from '../../source/core/validate/validate-outputs.js';
import {
  createRunFixture,
  dropFingerprints,
  editMetadata,
  type RunFixture,
  readMatrix,
  readNames,
  statusOf,
  validate,
  writeMatrix,
  writeNames,
  writeOtherModel,
} from './validate-fixture.js';

let fixture: RunFixture;

before(async () => {
  fixture = await createRunFixture();
});

after(async () => {
  await fixture?.cleanup();
});

function failures(report: Awaited<ReturnType<typeof validate>>, id: Parameters<typeof statusOf>[1]): string {
  return statusOf(report, id)
    .details.filter((detail) => detail.kind === 'fail')
    .map((detail) => detail.message)
    .join('\n');
}

describe('validate: a real run', () => {
  test('all five checks pass, in order, each started before it finishes, then a verdict', async () => {
    const events: ValidationEvent[] = [];
    const report = await validateOutputs({
      embeddingsDir: fixture.embeddingsDir,
      modelsDir: fixture.modelsDir,
      seed: 1,
      onEvent: (event) => events.push(event),
    });
    assert.equal(report.interrupted, false);
    const finished = events
      .filter((event) => event.type === 'check-passed')
      .map((event) => event.check.index);
    assert.deepEqual(finished, [1, 2, 3, 4, 5]);
    const started = events
      .filter((event) => event.type === 'check-started')
      .map((event) => event.check.index);
    assert.deepEqual(started, [1, 2, 3, 4, 5]);
    assert.ok(
      events.some((event) => event.type === 'check-progress' && event.message.startsWith('re-embedding')),
    );
    const verdict = events.at(-1);
    assert.equal(verdict?.type, 'verdict');
    assert.ok(verdict?.type === 'verdict' && verdict.report.passed);
    assert.equal(verdict.report.passedCount, 5);
    const spot = statusOf(verdict.report, 'embeddings').details.find((detail) =>
      detail.message.startsWith('spot check'),
    );
    assert.match(spot?.message ?? '', /3 re-embedded images match/);
    const errors = statusOf(verdict.report, 'errors')
      .details.map((detail) => detail.message)
      .join('\n');
    assert.match(errors, /corrupt\.png becomes a recorded failure/);
    assert.match(errors, /empty\.jpg becomes a recorded failure/);
    // The runtime check says which decoder takes JPEGs, and proves libturbojpeg against sharp where it loads.
    const decoder = jpegDecoderStatus();
    const runtime = statusOf(verdict.report, 'runtime').details;
    const jpegLine = runtime.find((detail) => detail.message.startsWith('JPEGs decode with'));
    if ('library' in decoder) {
      assert.equal(jpegLine?.kind, 'ok');
      assert.match(jpegLine?.message ?? '', /libturbojpeg.*the same pixels as sharp/);
    } else {
      assert.equal(jpegLine?.kind, 'note');
      assert.match(jpegLine?.message ?? '', /JPEGs decode with sharp: .*libturbojpeg0/);
    }
  });

  test('the same seed samples the same images; --sample covers every row', async () => {
    const all = await validate(fixture, fixture.embeddingsDir, {sample: 50});
    assert.ok(all.passed, JSON.stringify(all.checks.filter((check) => check.status !== 'passed')));
    assert.match(statusOf(all, 'embeddings').details.at(-1)?.message ?? '', /8 re-embedded images match/);
    const off = await validate(fixture, fixture.embeddingsDir, {sample: 0});
    assert.ok(off.passed);
    assert.ok(
      statusOf(off, 'embeddings').details.some((detail) => detail.message.includes('spot check off')),
    );
  });
});

describe('validate: broken outputs fail the right check', () => {
  test('a truncated .npy fails Structure; later checks are skipped, saying why', async () => {
    const dir = await fixture.copy('truncated');
    await truncate(join(dir, 'image_embeddings.npy'), 1000);
    const report = await validate(fixture, dir);
    assert.equal(report.passed, false);
    assert.equal(statusOf(report, 'structure').status, 'failed');
    assert.match(
      failures(report, 'structure'),
      /image_embeddings\.npy does not parse: .*payload is \d+ bytes/,
    );
    for (const id of ['runtime', 'errors', 'metadata', 'embeddings'] as const) {
      assert.equal(statusOf(report, id).status, 'skipped');
      assert.match(statusOf(report, id).summary, /check 1 Structure failed/);
    }
  });

  test('a missing file and disagreeing row counts fail Structure', async () => {
    const dir = await fixture.copy('missing-metadata');
    await rm(join(dir, 'metadata.json'));
    await writeNames(dir, (await readNames(dir)).slice(0, 5));
    const report = await validate(fixture, dir);
    const messages = failures(report, 'structure');
    assert.match(messages, /metadata\.json is missing/);
    assert.match(
      messages,
      /row counts disagree: image_embeddings\.npy has 8 rows, image_filenames\.npy 5 names/,
    );
  });

  test('shuffled filenames pass the static checks but fail the spot check', async () => {
    const dir = await fixture.copy('shuffled');
    await writeNames(dir, (await readNames(dir)).reverse());
    // Without the fingerprints of newer writers, which would fail Metadata first (see the mixed-set test).
    await dropFingerprints(dir);
    const report = await validate(fixture, dir);
    for (const id of ['structure', 'runtime', 'errors', 'metadata'] as const) {
      assert.equal(statusOf(report, id).status, 'passed', id);
    }
    assert.equal(statusOf(report, 'embeddings').status, 'failed');
    assert.match(
      failures(report, 'embeddings'),
      /spot check: .* re-embeds at cosine 0\.\d+ with its stored row \d+ \(needs >= 0\.9999\)/,
    );
    assert.match(failures(report, 'embeddings'), /filenames out of order\?/);
  });

  test('a row of NaN fails Embeddings, naming the row and its file', async () => {
    const dir = await fixture.copy('nan');
    const matrix = await readMatrix(dir);
    matrix.data.fill(Number.NaN, 2 * matrix.columns, 3 * matrix.columns);
    await writeMatrix(dir, matrix.data, matrix.rows, matrix.columns);
    const names = await readNames(dir);
    const report = await validate(fixture, dir, {sample: 0});
    assert.equal(statusOf(report, 'structure').status, 'passed');
    assert.match(
      failures(report, 'embeddings'),
      new RegExp(`1 rows hold NaN or Infinity: row 2 \\(${names[2]}\\)`),
    );
    // Metadata fails too: the matrix is not the one the run wrote.
    assert.match(
      failures(report, 'metadata'),
      /image_embeddings\.npy \([\d,]+ bytes, sha256 [0-9a-f]{12}…; metadata\.json records [\d,]+ bytes, [0-9a-f]{12}…\): the file changed after the run/,
    );
  });

  test('a mixed set (filenames of another run, same row count) fails Metadata, even with --sample 0', async () => {
    const dir = await fixture.copy('mixed');
    const names = await readNames(dir);
    // Another run over a folder of the same size: other names, same count, aligned in every other respect.
    await writeNames(
      dir,
      names.map((name) => name.replace(/^set\//, 'other/')),
    );
    const report = await validate(fixture, dir, {sample: 0});
    assert.equal(report.passed, false);
    assert.equal(statusOf(report, 'structure').status, 'passed');
    assert.equal(statusOf(report, 'metadata').status, 'failed');
    assert.match(
      failures(report, 'metadata'),
      /image_filenames\.npy .*: the file changed after the run wrote metadata\.json, or comes from another run \(embed again to write a matching set\)/,
    );
    assert.doesNotMatch(failures(report, 'metadata'), /image_embeddings\.npy/);
  });

  test('untouched outputs say their fingerprints match; outputs without them are not judged by them', async () => {
    const pristine = await validate(fixture, fixture.embeddingsDir, {sample: 0});
    assert.ok(
      statusOf(pristine, 'metadata').details.some(
        (detail) =>
          detail.kind === 'ok' &&
          /sha256 of image_embeddings\.npy, image_filenames\.npy match/.test(detail.message),
      ),
    );
    const dir = await fixture.copy('no-fingerprints');
    await dropFingerprints(dir);
    assert.ok((await validate(fixture, dir, {sample: 0})).passed);
  });

  test('rows that are not unit length, or zero, fail Embeddings', async () => {
    const dir = await fixture.copy('norms');
    const matrix = await readMatrix(dir);
    for (let column = 0; column < matrix.columns; column++) {
      matrix.data[column] = (matrix.data[column] ?? 0) * 1.01;
      matrix.data[matrix.columns + column] = 0;
    }
    await writeMatrix(dir, matrix.data, matrix.rows, matrix.columns);
    const messages = failures(await validate(fixture, dir, {sample: 0}), 'embeddings');
    assert.match(messages, /1 rows are all zeros: row 1/);
    assert.match(messages, /1 rows are not unit length \(tolerance 0\.001\): row 0 .* norm 1\.0100/);
  });

  test('edited counts fail Metadata with the numbers that disagree', async () => {
    const dir = await fixture.copy('counts');
    await editMetadata(dir, (metadata) => {
      metadata.counts.ok = 7;
      metadata.counts.inputs = 12;
    });
    const report = await validate(fixture, dir, {sample: 0});
    assert.equal(statusOf(report, 'structure').status, 'passed');
    assert.equal(statusOf(report, 'metadata').status, 'failed');
    const messages = failures(report, 'metadata');
    assert.match(messages, /counts\.ok is 7 but the matrix has 8 rows/);
    assert.match(messages, /counts\.ok \+ counts\.failed = 8, but counts\.inputs is 12/);
  });

  test('schema violations, implausible timings and throughput fail Metadata', async () => {
    const dir = await fixture.copy('schema');
    await editMetadata(dir, (metadata) => {
      (metadata as {model: {dtype: string}}).model.dtype = 'fp64';
      delete (metadata as Partial<typeof metadata>).versions;
    });
    const schema = failures(await validate(fixture, dir, {sample: 0}), 'metadata');
    assert.match(schema, /metadata lacks "versions"/);
    assert.match(schema, /model\.dtype must be one of fp32, q8, fp16/);

    const timings = await fixture.copy('timings');
    await editMetadata(timings, (metadata) => {
      metadata.timings_seconds.load = metadata.timings_seconds.total + 5;
      metadata.images_per_second = 0.01;
    });
    const messages = failures(await validate(fixture, timings, {sample: 0}), 'metadata');
    assert.match(messages, /timings: load .* exceed total/);
    assert.match(messages, /images_per_second 0\.01 is implausibly low/);
  });

  test('malformed recorded failures fail Errors', async () => {
    const dir = await fixture.copy('failures');
    await editMetadata(dir, (metadata) => {
      metadata.failures = [{file: 'broken.jpg', reason: ''}];
    });
    const report = await validate(fixture, dir, {sample: 0});
    assert.match(
      failures(report, 'errors'),
      /1 of 1 recorded failures are not \{file, reason\} with non-empty strings/,
    );
  });

  test('a model of another width fails Imports / runtime; the spot check is skipped', async () => {
    await writeOtherModel(fixture, 'narrow', 256);
    const report = await validate(fixture, fixture.embeddingsDir, {model: 'narrow'});
    assert.equal(statusOf(report, 'runtime').status, 'failed');
    assert.match(
      failures(report, 'runtime'),
      /the model outputs 256-d embeddings but image_embeddings\.npy has 512 columns/,
    );
    assert.equal(statusOf(report, 'embeddings').status, 'skipped');
    assert.match(statusOf(report, 'embeddings').summary, /spot check not run/);
  });

  test("another model's weights at the same width fail the spot check", async () => {
    await writeOtherModel(fixture, 'impostor', 512);
    const report = await validate(fixture, fixture.embeddingsDir, {model: 'impostor'});
    assert.equal(statusOf(report, 'runtime').status, 'passed');
    assert.equal(statusOf(report, 'embeddings').status, 'failed');
    assert.match(failures(report, 'embeddings'), /or another model made it/);
  });

  test('a model that is nowhere fails Imports / runtime with the fix', async () => {
    const dir = await fixture.copy('no-model');
    await editMetadata(dir, (metadata) => {
      metadata.model.path = join(fixture.root, 'gone');
      metadata.model.name = 'gone';
    });
    const report = await validate(fixture, dir);
    assert.match(
      failures(report, 'runtime'),
      /the model is not available: model 'gone' not found.*fix: run 'visual-cortex models pull/,
    );
    assert.equal(statusOf(report, 'errors').status, 'skipped');
    assert.match(failures(report, 'metadata'), /model file .*gone.* does not exist/);
  });

  test('an image that is gone fails Embeddings, naming it', async () => {
    const dir = await fixture.copy('missing-image');
    const names = await readNames(dir);
    await editMetadata(dir, (metadata) => {
      metadata.input_dir = join(fixture.root, 'images-copy');
    });
    const {cp} = await import('node:fs/promises');
    await cp(fixture.imagesDir, join(fixture.root, 'images-copy'), {recursive: true});
    await rm(join(fixture.root, 'images-copy', names[0] as string));
    const report = await validate(fixture, dir, {sample: 0});
    assert.match(
      failures(report, 'embeddings'),
      new RegExp(`1 of 8 files are missing under .*: ${names[0]}`),
    );
  });

  test('a missing folder and a bad --sample are user errors', async () => {
    await assert.rejects(validate(fixture, join(fixture.root, 'nowhere')), (error: unknown) => {
      assert.ok(error instanceof UserError);
      assert.match(error.message, /no output folder at .*nowhere/);
      return true;
    });
    await assert.rejects(validate(fixture, fixture.embeddingsDir, {sample: -1}), UserError);
  });

  test('aborting stops the run gracefully: an interrupted report of the finished checks; the model closed', async () => {
    const controller = new AbortController();
    const seen: string[] = [];
    const report = await validateOutputs({
      embeddingsDir: fixture.embeddingsDir,
      modelsDir: fixture.modelsDir,
      seed: 1,
      signal: controller.signal,
      onEvent: (event) => {
        seen.push(event.type === 'verdict' ? 'verdict' : `${event.type}:${event.check.id}`);
        // Abort once the shared embedder is open (check 3 started it), while check 5's spot check runs.
        if (event.type === 'check-progress' && event.check.id === 'embeddings') controller.abort();
      },
    });
    assert.equal(report.interrupted, true);
    assert.equal(report.passed, false);
    assert.deepEqual(
      report.checks.map((check) => check.id),
      ['structure', 'runtime', 'errors', 'metadata'],
    );
    assert.ok(seen.includes('check-started:embeddings'));
    assert.ok(!seen.some((entry) => /^check-(passed|failed|skipped):embeddings$/.test(entry)));
    assert.equal(seen.at(-1), 'verdict');
    // A worker left open would keep this test process alive; the runner would then time out.
  });

  test('metadata.json that is not JSON fails Structure', async () => {
    const dir = await fixture.copy('bad-json');
    await writeFile(join(dir, 'metadata.json'), `${await readFile(join(dir, 'metadata.json'), 'utf8')}}`);
    assert.match(failures(await validate(fixture, dir), 'structure'), /metadata\.json is not valid JSON/);
  });
});
