/**
 * Uploads into a folder of plain outputs (no manifest: made by an earlier version, or by hand): the three files
 * are rewritten with the new rows after the old ones, each atomically, metadata.json last. A collection appends a
 * shard instead (append-shard.ts); `visual-cortex embed` of the images folder turns this one into one.
 */
import {readFile} from 'node:fs/promises';
import type {EmbedMetadata} from '../embed/metadata.js';
import {outputPaths, writeEmbeddingOutputs} from '../embed/outputs.js';
import {readFloat32Matrix, readUnicodeArray} from '../npy.js';
import type {EmbeddedUploads} from './embed-uploads.js';

export async function readLegacyMetadata(dir: string): Promise<EmbedMetadata> {
  return JSON.parse(await readFile(outputPaths(dir).metadata, 'utf8')) as EmbedMetadata;
}

export async function rewriteWithUploads(
  dir: string,
  previous: EmbedMetadata,
  added: Pick<EmbeddedUploads, 'rows' | 'files' | 'cacheHits'>,
): Promise<EmbedMetadata> {
  const paths = outputPaths(dir);
  const matrix = readFloat32Matrix(await readFile(paths.embeddings));
  const names = readUnicodeArray(await readFile(paths.filenames));
  const count = added.rows.length;
  const grown = new Float32Array((matrix.rows + count) * matrix.columns);
  grown.set(matrix.data);
  for (const [index, row] of added.rows.entries()) grown.set(row, (matrix.rows + index) * matrix.columns);
  const written = await writeEmbeddingOutputs(
    dir,
    {
      vectors: grown,
      count: matrix.rows + count,
      dims: matrix.columns,
      filenames: [...names, ...added.files],
    },
    () => {
      const {files: _files, ...rest} = previous;
      return {
        ...rest,
        counts: {
          ...rest.counts,
          inputs: rest.counts.inputs + count,
          ok: rest.counts.ok + count,
          cache_hits: rest.counts.cache_hits + added.cacheHits,
        },
        finished_at: new Date().toISOString(),
      };
    },
  );
  return written.metadata;
}
