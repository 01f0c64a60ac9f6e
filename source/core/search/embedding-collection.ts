/**
 * A folder of outputs read for searching: image_embeddings.npy (N x D float32), image_filenames.npy (N names)
 * and metadata.json (which model made them). Rows are used as stored; any row whose norm is off (a hand-made
 * matrix) is normalised in memory so scores stay cosines. Nothing is written back.
 */
import {createHash} from 'node:crypto';
import {readFile} from 'node:fs/promises';
import {join} from 'node:path';
import {UserError} from '../errors.js';
import {changedFiles, describeChangedFile} from '../fs/file-checksums.js';
import {NpyFormatError, readFloat32Matrix, readUnicodeArray} from '../npy.js';
import type {EmbeddingMatrix} from './exact-search.js';

export const EMBEDDINGS_FILE = 'image_embeddings.npy';
export const FILENAMES_FILE = 'image_filenames.npy';
export const METADATA_FILE = 'metadata.json';

export interface CollectionModel {
  name?: string;
  path?: string;
  dtype?: string;
}

export interface EmbeddingCollection {
  dir: string;
  matrix: EmbeddingMatrix;
  files: string[];
  /** metadata.json's `model`, when the file has one. */
  model: CollectionModel;
  /** SHA-256 of image_embeddings.npy as read: an index built for other bytes is stale. */
  embeddingsSha256: string;
}

async function readOutput(dir: string, name: string): Promise<Buffer> {
  try {
    return await readFile(join(dir, name));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(
      `no ${name} in ${dir}${code === 'ENOENT' ? '' : ` (${code})`}`,
      'run `visual-cortex embed` first, or point --dir at a folder of outputs',
    );
  }
}

function normaliseRows(matrix: EmbeddingMatrix): void {
  const {data, dims} = matrix;
  for (let row = 0; row < matrix.rows; row++) {
    const base = row * dims;
    let sum = 0;
    for (let i = 0; i < dims; i++) sum += data[base + i]! * data[base + i]!;
    if (sum === 0 || Math.abs(sum - 1) < 1e-4) continue;
    const scale = 1 / Math.sqrt(sum);
    for (let i = 0; i < dims; i++) data[base + i]! *= scale;
  }
}

export async function loadEmbeddingCollection(dir: string): Promise<EmbeddingCollection> {
  // Both are read at once, but a problem is reported in file order, so that the same folder always gets the
  // same message (Promise.all would report whichever read failed first).
  const reads = await Promise.allSettled([readOutput(dir, EMBEDDINGS_FILE), readOutput(dir, FILENAMES_FILE)]);
  const [embeddingBytes, filenameBytes] = reads.map((read) => {
    if (read.status === 'rejected') throw read.reason;
    return read.value;
  }) as [Buffer, Buffer];
  const metadata = await readMetadata(dir);
  const changed = changedFiles(metadata.files, {
    [EMBEDDINGS_FILE]: embeddingBytes,
    [FILENAMES_FILE]: filenameBytes,
  });
  if (changed.length > 0) {
    throw new UserError(
      `the outputs in ${dir} are not the set metadata.json describes: ${changed.map(describeChangedFile).join('; ')}. A file changed after the run, or comes from another run, so names and rows may not match`,
      `embed again into ${dir} to write a matching set (or run 'visual-cortex validate' to see what else differs)`,
    );
  }
  let matrix: EmbeddingMatrix;
  let files: string[];
  try {
    const parsed = readFloat32Matrix(embeddingBytes);
    matrix = {data: parsed.data, rows: parsed.rows, dims: parsed.columns};
    files = readUnicodeArray(filenameBytes);
  } catch (error) {
    if (!(error instanceof NpyFormatError)) throw error;
    throw new UserError(
      `the outputs in ${dir} are unreadable: ${error.message}`,
      're-run `visual-cortex embed` to rewrite them',
    );
  }
  if (files.length !== matrix.rows) {
    throw new UserError(
      `${dir} has ${matrix.rows} embeddings but ${files.length} file names`,
      're-run `visual-cortex embed` to rewrite the outputs together',
    );
  }
  const embeddingsSha256 = createHash('sha256').update(embeddingBytes).digest('hex');
  normaliseRows(matrix);
  const model =
    metadata.model && typeof metadata.model === 'object' ? (metadata.model as CollectionModel) : {};
  return {dir, matrix, files, model, embeddingsSha256};
}

/** metadata.json as an object; empty when it is missing or unreadable (then the caller must name the model). */
async function readMetadata(dir: string): Promise<{model?: unknown; files?: unknown}> {
  try {
    const parsed: unknown = JSON.parse(await readFile(join(dir, METADATA_FILE), 'utf8'));
    return typeof parsed === 'object' && parsed !== null ? parsed : {};
  } catch {
    return {};
  }
}
