/**
 * The output set of an embed run. Each file is written atomically; metadata.json goes last and is the commit
 * marker: readers (validate, search, serve) check that its counts and dims agree with the two .npy files.
 */
import {join} from 'node:path';
import {writeFileAtomic} from '../fs/atomic-write.js';
import {fingerprintBytes} from '../fs/file-checksums.js';
import {asCommit, removeStaleTempFiles} from '../fs/temp-files.js';
import {encodeFloat32Matrix, encodeUnicodeArray} from '../npy.js';
import {type FileFingerprint, Float32NpyStream} from '../npy-stream.js';
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

export function outputPaths(embeddingsDir: string): OutputPaths {
  return {
    embeddings: join(embeddingsDir, OUTPUT_FILES.embeddings),
    filenames: join(embeddingsDir, OUTPUT_FILES.filenames),
    metadata: join(embeddingsDir, OUTPUT_FILES.metadata),
  };
}

export async function writeEmbeddingOutputs(
  embeddingsDir: string,
  /** `vectors`: one row-major matrix, or the rows already streamed to disk (committed here, before the others). */
  rows: {
    vectors: Float32Array | Float32NpyStream;
    count: number;
    dims: number;
    filenames: string[];
  },
  /** Called after the .npy files are written, so timings can include writing them. */
  describe: () => Omit<EmbedMetadata, 'files'>,
): Promise<{paths: OutputPaths; metadata: EmbedMetadata}> {
  const {vectors} = rows;
  if (rows.filenames.length !== rows.count) throw new Error('filenames and rows are not aligned');
  if (vectors instanceof Float32NpyStream && vectors.rows !== rows.count)
    throw new Error('row count does not match');
  const paths = outputPaths(embeddingsDir);
  // The three renames make one set: a forced quit lets them finish rather than leave a mixed or partial set.
  return asCommit(async () => {
    // Every writer of the set removes what crashed writers left (the stream does too, as it starts).
    await removeStaleTempFiles(embeddingsDir);
    let embeddings: FileFingerprint;
    if (vectors instanceof Float32NpyStream) {
      embeddings = await vectors.commit(paths.embeddings);
    } else {
      const matrix = encodeFloat32Matrix(vectors, rows.count, rows.dims);
      await writeFileAtomic(paths.embeddings, matrix);
      embeddings = fingerprintBytes(matrix);
    }
    const filenames = encodeUnicodeArray(rows.filenames);
    await writeFileAtomic(paths.filenames, filenames);
    const committed: EmbedMetadata = {
      ...describe(),
      files: {
        [OUTPUT_FILES.embeddings]: embeddings,
        [OUTPUT_FILES.filenames]: fingerprintBytes(filenames),
      },
    };
    await writeFileAtomic(paths.metadata, `${JSON.stringify(committed, null, 2)}\n`);
    return {paths, metadata: committed};
  });
}
