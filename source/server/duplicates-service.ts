/**
 * `GET /api/duplicates` behind the HTTP layer: scans the collection (scan.ts) and keeps the last result while the
 * collection is unchanged (its fingerprint), one scan at a time, so paging through groups costs one scan. The
 * CLIP method is bounded by rows: all-pairs and HNSW scans of large collections take minutes to hours of CPU,
 * which a read-level client must not be able to start.
 */
import {collectionFingerprint} from '../core/collection/reader.js';
import {readCollectionState} from '../core/collection/state.js';
import {type DuplicateScan, scanDuplicates} from '../core/duplicates/scan.js';
import {viewScan} from '../core/duplicates/scan-view.js';
import {isUserError} from '../core/errors.js';
import {BadQueryError, type DuplicatesPage, type DuplicatesRequest} from './backend.js';

export const MAX_CLIP_ROWS_OVER_HTTP = 20_000;

export function duplicatesService(dir: string): (request: DuplicatesRequest) => Promise<DuplicatesPage> {
  let last: {key: string; scan: Promise<DuplicateScan>} | undefined;
  let running: Promise<unknown> = Promise.resolve();
  return async (request) => {
    const state = await readCollectionState(dir);
    if (!state)
      throw new BadQueryError('duplicates need a collection; this server has a folder of plain outputs');
    const fingerprint = collectionFingerprint(state.shards, state.manifest);
    const key = [fingerprint, request.method, request.phashThreshold, request.clipThreshold].join(' ');
    if (last?.key !== key) {
      if (request.method !== 'phash') {
        const rows = state.shards.reduce((sum, shard) => sum + shard.rows, 0);
        if (rows > MAX_CLIP_ROWS_OVER_HTTP)
          throw new BadQueryError(
            `method=${request.method} is limited to ${MAX_CLIP_ROWS_OVER_HTTP} rows over HTTP (this collection has ${rows}); use method=phash, or 'visual-cortex duplicates --method ${request.method}' on the server`,
          );
      }
      const scan = running.then(() =>
        scanDuplicates({
          embeddingsDir: dir,
          method: request.method,
          phashThreshold: request.phashThreshold,
          clipThreshold: request.clipThreshold,
        }),
      );
      running = scan.catch(() => undefined);
      last = {key, scan};
      scan.catch(() => {
        if (last?.scan === scan) last = undefined;
      });
    }
    let scan: DuplicateScan;
    try {
      scan = await last.scan;
    } catch (error) {
      if (isUserError(error)) throw new BadQueryError(error.message);
      throw error;
    }
    const {embeddingsDir: _dir, imagesDir: _images, ...view} = viewScan(scan, request.keep, request);
    return {...view, offset: request.offset};
  };
}
