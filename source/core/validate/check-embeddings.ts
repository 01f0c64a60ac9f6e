/**
 * Check 5: the matrix is what search relies on (float32, finite, unit rows), the filenames are aligned with it
 * and name files that exist, and a spot check re-embeds sampled images with the model and finds their rows.
 */
import {stat} from 'node:fs/promises';
import {isAbsolute, join, normalize, sep} from 'node:path';
import {mapWithConcurrency} from '../embed/concurrency.js';
import {describeError} from '../errors.js';
import {type CheckBody, type CheckContext, Findings, type LoadedOutputs, listSome} from './check-context.js';
import {sampleIndices} from './sampling.js';
import {spotCheckMinCosine, UNIT_NORM_TOLERANCE} from './types.js';

const STAT_CONCURRENCY = 16;

function matrixOf(outputs: LoadedOutputs, findings: Findings): Float32Array | undefined {
  const {embeddings} = outputs;
  if (embeddings.descr !== '<f4' || embeddings.fortranOrder) {
    findings.fail(
      `image_embeddings.npy is ${embeddings.descr}${embeddings.fortranOrder ? ' in Fortran order' : ''}; expected little-endian float32 (<f4), C order`,
    );
    return undefined;
  }
  return new Float32Array(new Uint8Array(embeddings.payload).buffer);
}

function checkRows(matrix: Float32Array, outputs: LoadedOutputs, findings: Findings): void {
  const {rows, columns, filenames} = outputs;
  const nonFinite: string[] = [];
  const zero: string[] = [];
  const offNorm: string[] = [];
  for (let row = 0; row < rows; row++) {
    let sum = 0;
    let finite = true;
    for (let column = 0; column < columns; column++) {
      const value = matrix[row * columns + column] ?? 0;
      if (!Number.isFinite(value)) finite = false;
      sum += value * value;
    }
    const label = `row ${row} (${filenames[row] ?? '?'})`;
    if (!finite) nonFinite.push(label);
    else if (sum === 0) zero.push(label);
    else if (Math.abs(Math.sqrt(sum) - 1) > UNIT_NORM_TOLERANCE)
      offNorm.push(`${label} norm ${Math.sqrt(sum).toFixed(4)}`);
  }
  if (nonFinite.length)
    findings.fail(`${nonFinite.length} rows hold NaN or Infinity: ${listSome(nonFinite)}`);
  if (zero.length) findings.fail(`${zero.length} rows are all zeros: ${listSome(zero)}`);
  if (offNorm.length) {
    findings.fail(
      `${offNorm.length} rows are not unit length (tolerance ${UNIT_NORM_TOLERANCE}): ${listSome(offNorm)}`,
    );
  }
  if (!nonFinite.length && !zero.length && !offNorm.length) {
    findings.ok(`${rows} x ${columns} float32, finite, unit rows (within ${UNIT_NORM_TOLERANCE})`);
  }
}

/** Inside the input folder: relative, no '..' escaping it. */
function isContainedPath(name: string): boolean {
  if (isAbsolute(name)) return false;
  const normalised = normalize(name);
  return normalised !== '..' && !normalised.startsWith(`..${sep}`);
}

async function checkFilenames(outputs: LoadedOutputs, findings: Findings): Promise<string | undefined> {
  const {filenames, rows} = outputs;
  if (filenames.length !== rows) findings.fail(`${filenames.length} filenames for ${rows} rows`);
  const empty = filenames.flatMap((name, row) => (name.trim() === '' ? [`row ${row}`] : []));
  if (empty.length) findings.fail(`${empty.length} filenames are empty: ${listSome(empty)}`);
  const seen = new Set<string>();
  const duplicates = new Set<string>();
  for (const name of filenames) (seen.has(name) ? duplicates : seen).add(name);
  if (duplicates.size)
    findings.fail(`${duplicates.size} filenames appear more than once: ${listSome([...duplicates])}`);
  const escaping = filenames.filter((name) => name !== '' && !isContainedPath(name));
  if (escaping.length)
    findings.fail(`${escaping.length} filenames are not relative to input_dir: ${listSome(escaping)}`);

  const imagesDir = outputs.metadata.input_dir;
  if (typeof imagesDir !== 'string' || imagesDir === '') {
    findings.fail('metadata.json has no input_dir, so the files cannot be found');
    return undefined;
  }
  const present = await mapWithConcurrency(filenames, STAT_CONCURRENCY, (name) =>
    stat(join(imagesDir, name)).then(
      (info) => info.isFile(),
      () => false,
    ),
  );
  const missing = filenames.filter((_, row) => !present[row]);
  if (missing.length)
    findings.fail(
      `${missing.length} of ${filenames.length} files are missing under ${imagesDir}: ${listSome(missing)}`,
    );
  if (!empty.length && !duplicates.size && !escaping.length && !missing.length) {
    findings.ok(`${filenames.length} filenames unique, aligned, and present under ${imagesDir}`);
  }
  return imagesDir;
}

function cosine(vector: Float32Array, matrix: Float32Array, row: number, columns: number): number {
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let column = 0; column < columns; column++) {
    const a = vector[column] ?? 0;
    const b = matrix[row * columns + column] ?? 0;
    dot += a * b;
    normA += a * a;
    normB += b * b;
  }
  return dot / Math.sqrt(normA * normB);
}

async function spotCheck(
  context: CheckContext,
  matrix: Float32Array,
  imagesDir: string,
  progress: (message: string) => void,
  findings: Findings,
): Promise<void> {
  const {rows, columns, filenames} = context.outputs as LoadedOutputs;
  if (context.sample === 0) {
    findings.note('spot check off (--sample 0)');
    return;
  }
  const model = context.model;
  if (!model?.ioMatches || model.dims !== columns) {
    findings.skip('spot check not run: no model that matches the matrix (see check 2)');
    return;
  }
  let embedder: Awaited<ReturnType<CheckContext['embedder']>>;
  try {
    embedder = await context.embedder();
  } catch (error) {
    findings.fail(`spot check cannot start the model: ${describeError(error)}`);
    return;
  }
  const minCosine = spotCheckMinCosine(model.dtype);
  const picked = sampleIndices(rows, context.sample, context.random);
  if (picked.length === 0) {
    findings.note('spot check: no rows to re-embed');
    return;
  }
  const cosines: number[] = [];
  for (const [step, row] of picked.entries()) {
    context.signal.throwIfAborted();
    const name = filenames[row] ?? '';
    progress(`re-embedding ${step + 1}/${picked.length}: ${name}`);
    const [result] = await embedder.embedFiles([{id: name, data: join(imagesDir, name)}], context.signal);
    if (!result?.ok) {
      findings.fail(
        `spot check could not re-embed ${name}: ${result && !result.ok ? result.reason : 'no result'}`,
      );
      continue;
    }
    const similarity = cosine(result.vector, matrix, row, columns);
    cosines.push(similarity);
    if (!(similarity >= minCosine)) {
      findings.fail(
        `spot check: ${name} re-embeds at cosine ${similarity.toFixed(6)} with its stored row ${row} (needs >= ${minCosine}${model.dtype === 'q8' ? ', q8' : ''}): the row does not belong to this file (filenames out of order?) or another model made it`,
      );
    }
  }
  if (cosines.length === picked.length && cosines.every((value) => value >= minCosine)) {
    findings.ok(
      `spot check: ${picked.length} re-embedded images match their rows (min cosine ${Math.min(...cosines).toFixed(6)})`,
    );
  }
}

export async function checkEmbeddings(
  context: CheckContext,
  progress: (message: string) => void,
): Promise<CheckBody> {
  const findings = new Findings();
  const outputs = context.outputs as LoadedOutputs;
  const matrix = matrixOf(outputs, findings);
  if (matrix) checkRows(matrix, outputs, findings);
  progress('checking files');
  const imagesDir = await checkFilenames(outputs, findings);
  if (matrix && imagesDir !== undefined) await spotCheck(context, matrix, imagesDir, progress, findings);
  return findings.finish(
    `${outputs.rows} unit rows, filenames aligned; spot check of ${Math.min(context.sample, outputs.rows)} matches`,
  );
}
