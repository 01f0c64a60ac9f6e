/**
 * Uploads into a folder of plain outputs (no manifest: made by an earlier version, or by hand): the three files
 * are rewritten with the new rows after the old ones, each atomically, metadata.json last. A collection appends a
 * shard instead (collection-append.ts); `visual-cortex embed` of the images folder turns this one into one.
 */
import {readFile} from 'node:fs/promises';
import type {EmbedMetadata} from '../core/embed/metadata.js';
import {outputPaths, writeEmbeddingOutputs} from '../core/embed/outputs.js';
import {readFloat32Matrix, readUnicodeArray} from '../core/npy.js';
import type {AcceptedUpload} from './upload-vectors.js';

export async function readLegacyMetadata(dir: string): Promise<EmbedMetadata> {
  return JSON.parse(await readFile(outputPaths(dir).metadata, 'utf8')) as EmbedMetadata;
}

export async function rewriteWithUploads(
  dir: string,
  previous: EmbedMetadata,
  accepted: AcceptedUpload[],
): Promise<EmbedMetadata> {
  const paths = outputPaths(dir);
  const matrix = readFloat32Matrix(await readFile(paths.embeddings));
  const names = readUnicodeArray(await readFile(paths.filenames));
  const grown = new Float32Array((matrix.rows + accepted.length) * matrix.columns);
  grown.set(matrix.data);
  for (const [index, item] of accepted.entries())
    grown.set(item.vector, (matrix.rows + index) * matrix.columns);
  const written = await writeEmbeddingOutputs(
    dir,
    {
      vectors: grown,
      count: matrix.rows + accepted.length,
      dims: matrix.columns,
      filenames: [...names, ...accepted.map((item) => item.file)],
    },
    () => {
      const {files: _files, ...rest} = previous;
      return {
        ...rest,
        counts: {
          ...rest.counts,
          inputs: rest.counts.inputs + accepted.length,
          ok: rest.counts.ok + accepted.length,
          cache_hits: rest.counts.cache_hits + accepted.filter((item) => item.cached).length,
        },
        finished_at: new Date().toISOString(),
      };
    },
  );
  return written.metadata;
}
