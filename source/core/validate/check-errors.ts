/**
 * Check 3: bad input is data, not a crash. A corrupt image and an empty file go through the real pipeline
 * (decode, preprocess, batch, infer) beside a good image; the bad ones must come back as failures with reasons
 * and the good one as a vector. The failures metadata.json recorded must be well-formed.
 */
import {describeError} from '../errors.js';
import {
  type CheckBody,
  type CheckContext,
  Findings,
  isRecord,
  type LoadedOutputs,
  listSome,
} from './check-context.js';
import {CORRUPT_PNG, EMPTY_FILE, SMALL_VALID_PNG} from './probe-images.js';

function checkRecordedFailures(outputs: LoadedOutputs, findings: Findings): void {
  const failures = outputs.metadata.failures;
  if (!Array.isArray(failures)) {
    findings.fail('metadata.json has no "failures" list');
    return;
  }
  const malformed: string[] = [];
  failures.forEach((entry: unknown, index) => {
    const wellFormed =
      isRecord(entry) &&
      typeof entry.file === 'string' &&
      entry.file.trim() !== '' &&
      typeof entry.reason === 'string' &&
      entry.reason.trim() !== '';
    if (!wellFormed) malformed.push(`#${index} ${JSON.stringify(entry)?.slice(0, 60)}`);
  });
  if (malformed.length > 0) {
    findings.fail(
      `${malformed.length} of ${failures.length} recorded failures are not {file, reason} with non-empty strings: ${listSome(malformed)}`,
    );
  } else {
    findings.ok(
      `${failures.length} recorded ${failures.length === 1 ? 'failure is' : 'failures are'} well-formed {file, reason}`,
    );
  }
}

async function checkPipeline(context: CheckContext, findings: Findings): Promise<void> {
  if (!context.model?.ioMatches) {
    findings.skip('bad input not run through the pipeline: no usable model (see check 2)');
    return;
  }
  let embedder: Awaited<ReturnType<CheckContext['embedder']>>;
  try {
    embedder = await context.embedder();
  } catch (error) {
    findings.fail(`cannot start the embedding pipeline: ${describeError(error)}`);
    return;
  }
  try {
    const results = await embedder.embedFiles(
      [
        {id: 'corrupt.png', data: CORRUPT_PNG},
        {id: 'empty.jpg', data: EMPTY_FILE},
        {id: 'valid.png', data: SMALL_VALID_PNG},
      ],
      context.signal,
    );
    for (const id of ['corrupt.png', 'empty.jpg']) {
      const result = results.find((candidate) => candidate.id === id);
      if (!result) findings.fail(`the pipeline returned no result for ${id}`);
      else if (result.ok) findings.fail(`the pipeline embedded ${id} instead of reporting it as a failure`);
      else if (result.reason.trim() === '') findings.fail(`the pipeline rejected ${id} without a reason`);
      else findings.ok(`${id} becomes a recorded failure: ${result.reason}`);
    }
    const valid = results.find((candidate) => candidate.id === 'valid.png');
    if (!valid?.ok) {
      findings.fail(
        `a valid image in the same batch did not embed: ${valid && !valid.ok ? valid.reason : 'no result'}`,
      );
    } else if (!valid.vector.every(Number.isFinite)) {
      findings.fail('a valid image in the same batch embedded to non-finite values');
    } else findings.ok('a valid image in the same batch still embeds');
  } catch (error) {
    findings.fail(`the pipeline crashed on bad input instead of recording failures: ${describeError(error)}`);
  }
}

export async function checkErrors(context: CheckContext): Promise<CheckBody> {
  const findings = new Findings();
  checkRecordedFailures(context.outputs as LoadedOutputs, findings);
  await checkPipeline(context, findings);
  return findings.finish('corrupt and empty images become failures; recorded failures well-formed');
}
