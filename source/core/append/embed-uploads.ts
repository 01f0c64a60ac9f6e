/**
 * Uploads join the images folder and are embedded the way `embed` embeds a folder's new files: written under
 * uploads/, then read, hashed, looked up in the embedding cache and embedded on a miss by the same batch loop
 * (embedStream), each batch's rows handed to `sink` (the collection writer, or a plain-outputs rewrite).
 */
import {stat, unlink, writeFile} from 'node:fs/promises';
import {join} from 'node:path';
import type {PlannedFile} from '../collection/sync-plan.js';
import type {CollectionWriter} from '../collection/writer.js';
import type {EmbeddingCachePort} from '../embed/cache-port.js';
import type {Embedder} from '../embed/embedder.js';
import {embedStream, fromList} from '../pipeline/embed-stream.js';
import type {NamedUpload} from './name-uploads.js';

export interface EmbeddedUploads {
  /** The rows handed to the sink, in order, and their files. */
  rows: Float32Array[];
  files: string[];
  failures: {file: string; reason: string}[];
  cacheHits: number;
}

export async function embedUploads(options: {
  imagesDir: string;
  uploads: NamedUpload[];
  embedder: Embedder;
  cache: EmbeddingCachePort | undefined;
  sink: Pick<CollectionWriter, 'append'>;
}): Promise<EmbeddedUploads> {
  const planned: PlannedFile[] = [];
  for (const upload of options.uploads) {
    const absolute = join(options.imagesDir, upload.file);
    await writeFile(absolute, upload.data);
    const info = await stat(absolute);
    planned.push({relative: upload.file, absolute, bytes: info.size, mtime_ms: Math.floor(info.mtimeMs)});
  }
  const embedded: EmbeddedUploads = {rows: [], files: [], failures: [], cacheHits: 0};
  const run = await embedStream({
    source: fromList(planned),
    embedder: options.embedder,
    sink: {
      append(batch) {
        embedded.rows.push(...batch.rows);
        embedded.files.push(...batch.filenames);
        return options.sink.append(batch);
      },
    },
    cache: options.cache,
    expected: () => planned.length,
  });
  embedded.failures = run.failures;
  embedded.cacheHits = run.cacheHits;
  // A picture that probed as an image but could not be embedded is not left for the next `embed` to retry.
  for (const failure of run.failures) await unlink(join(options.imagesDir, failure.file)).catch(() => {});
  return embedded;
}
