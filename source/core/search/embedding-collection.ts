/**
 * A folder of outputs read for searching. A collection (a folder with manifest.json) is read from its shards,
 * checksums checked (core/collection/reader.ts). Other folders are read as the seed wrote them:
 * image_embeddings.npy (N x D float32), image_filenames.npy (N names) and metadata.json (which model made them),
 * refused when metadata.json's checksums say the two .npy files come from different runs. Rows are used as
 * stored; any row whose norm is off (a hand-made matrix) is normalised in memory so scores stay cosines.
 */
import {createHash} from 'node:crypto';
import {readFile} from 'node:fs/promises';
import {join} from 'node:path';
import {isCollection} from '../collection/layout.js';
import {openCollection} from '../collection/reader.js';
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
  /** metadata.json's `model`, when the file has one (a collection's header model). */
  model: CollectionModel;
  /**
   * SHA-256 of image_embeddings.npy as read, or a collection's fingerprint (its shards and tombstones): an index
   * built for another value is stale.
   */
  embeddingsSha256: string;
  /** Things a reader should know (shards not yet in the manifest). */
  notes: string[];
  /** The images folder the filenames are relative to (metadata.json's input_dir for plain files). */
  imagesDir?: string;
  /** A collection's shards in row order and its tombstone count, as read (undefined for plain files). */
  shards?: {ids: string[]; tombstones: number};
}

async function readOutput(dir: string, name: string): Promise<Buffer> {
  try {
    return await readFile(join(dir, name));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(
      `no ${name} in ${dir}${code === 'ENOENT' ? '' : ` (${code})`}`,
      'run `visual-cortex embed` first, or point --embeddings at a folder of outputs',
    );
  }
}

function sha256Of(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
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

async function loadShards(dir: string): Promise<EmbeddingCollection> {
  const opened = await openCollection(dir);
  normaliseRows(opened.matrix);
  const {name, path, dtype} = opened.header.model;
  return {
    dir,
    matrix: opened.matrix,
    files: opened.files,
    model: {name, path, dtype},
    embeddingsSha256: opened.fingerprint,
    notes: opened.notes,
    imagesDir: opened.header.images_dir,
    shards: {
      ids: opened.state.shards.map((shard) => shard.id),
      tombstones: opened.manifest.tombstones.length,
    },
  };
}

export async function loadEmbeddingCollection(dir: string): Promise<EmbeddingCollection> {
  if (await isCollection(dir)) return loadShards(dir);
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
  const embeddingsSha256 = sha256Of(embeddingBytes);
  normaliseRows(matrix);
  const model =
    metadata.model && typeof metadata.model === 'object' ? (metadata.model as CollectionModel) : {};
  const imagesDir = typeof metadata.input_dir === 'string' ? metadata.input_dir : undefined;
  return {dir, matrix, files, model, embeddingsSha256, notes: [], imagesDir};
}

/** metadata.json as an object; empty when it is missing or unreadable (then the caller must name the model). */
async function readMetadata(dir: string): Promise<{model?: unknown; files?: unknown; input_dir?: unknown}> {
  try {
    const parsed: unknown = JSON.parse(await readFile(join(dir, METADATA_FILE), 'utf8'));
    return typeof parsed === 'object' && parsed !== null ? parsed : {};
  } catch {
    return {};
  }
}
