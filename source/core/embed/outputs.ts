/**
 * The output set of an embed run. Each file is written atomically; metadata.json goes last and is the commit
 * marker: readers (validate, search, serve) check that its counts and dims agree with the two .npy files.
 */
import {createHash} from 'node:crypto';
import {join} from 'node:path';
import {writeFileAtomic} from '../fs/atomic-write.js';
import {encodeFloat32Matrix, encodeFloat32RowParts, encodeUnicodeArray} from '../npy.js';
import type {EmbedMetadata} from './metadata.js';

export const OUTPUT_FILES = {
  embeddings: 'image_embeddings.npy',
  filenames: 'image_filenames.npy',
  metadata: 'metadata.json',
} as const;

export interface OutputPaths {
  embeddings: string;
  filenames: string;
  metadata: string;
}

export function outputPaths(outputDir: string): OutputPaths {
  return {
    embeddings: join(outputDir, OUTPUT_FILES.embeddings),
    filenames: join(outputDir, OUTPUT_FILES.filenames),
    metadata: join(outputDir, OUTPUT_FILES.metadata),
  };
}

export async function writeEmbeddingOutputs(
  outputDir: string,
  /** `vectors`: one row-major matrix, or one array per row (written in place, never concatenated). */
  rows: {vectors: Float32Array | readonly Float32Array[]; count: number; dims: number; filenames: string[]},
  /** Called after the .npy files are written, so timings can include writing them. */
  describe: () => Omit<EmbedMetadata, 'files'>,
): Promise<{paths: OutputPaths; metadata: EmbedMetadata}> {
  if (rows.filenames.length !== rows.count) throw new Error('filenames and rows are not aligned');
  const paths = outputPaths(outputDir);
  if (!(rows.vectors instanceof Float32Array) && rows.vectors.length !== rows.count)
    throw new Error('row count does not match');
  const embeddings =
    rows.vectors instanceof Float32Array
      ? [encodeFloat32Matrix(rows.vectors, rows.count, rows.dims)]
      : encodeFloat32RowParts(rows.vectors, rows.dims);
  const filenames = encodeUnicodeArray(rows.filenames);
  await writeFileAtomic(paths.embeddings, embeddings);
  await writeFileAtomic(paths.filenames, filenames);
  const committed: EmbedMetadata = {
    ...describe(),
    files: {
      [OUTPUT_FILES.embeddings]: fingerprint(embeddings),
      [OUTPUT_FILES.filenames]: fingerprint(filenames),
    },
  };
  await writeFileAtomic(paths.metadata, `${JSON.stringify(committed, null, 2)}\n`);
  return {paths, metadata: committed};
}

function fingerprint(data: Uint8Array | readonly Uint8Array[]): {bytes: number; sha256: string} {
  const parts = data instanceof Uint8Array ? [data] : data;
  const hash = createHash('sha256');
  let bytes = 0;
  for (const part of parts) {
    hash.update(part);
    bytes += part.byteLength;
  }
  return {bytes, sha256: hash.digest('hex')};
}
