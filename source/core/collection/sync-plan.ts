/**
 * `embed` of a folder into its collection is a sync: files that are new are embedded and appended; live rows
 * whose file is gone are tombstoned; a file whose size or mtime changed is hashed, and if its bytes changed too its
 * row is tombstoned and the file embedded again. Files with the same size and mtime as their row are kept unread.
 * The files to embed keep the walk's order, so a resumed run appends exactly the rows a clean run would have.
 */
import {createHash} from 'node:crypto';
import {readFile, stat} from 'node:fs/promises';
import {mapWithConcurrency} from '../embed/concurrency.js';
import type {FoundFile} from '../embed/file-walk.js';
import type {LiveRow} from './live-index.js';
import type {Tombstone} from './types.js';

export interface PlannedFile extends FoundFile {
  bytes: number;
  mtime_ms: number;
}

export interface SyncPlan {
  /** In walk order. */
  toEmbed: PlannedFile[];
  tombstones: Omit<Tombstone, 'at'>[];
  kept: number;
  /** Files whose size or mtime changed but whose bytes did not (kept, after hashing). */
  rehashed: number;
}

const STAT_CONCURRENCY = 16;

async function sha256File(path: string): Promise<string | undefined> {
  try {
    return createHash('sha256')
      .update(await readFile(path))
      .digest('hex');
  } catch {
    return undefined;
  }
}

export async function planSync(files: readonly FoundFile[], live: readonly LiveRow[]): Promise<SyncPlan> {
  const byFile = new Map(live.map((row) => [row.file, row]));
  const stats = await mapWithConcurrency(files, STAT_CONCURRENCY, (file) =>
    stat(file.absolute).then(
      (info) => ({bytes: info.size, mtime_ms: Math.floor(info.mtimeMs)}),
      () => ({bytes: -1, mtime_ms: -1}),
    ),
  );
  const verdicts = await mapWithConcurrency(files, STAT_CONCURRENCY, async (file, index) => {
    const row = byFile.get(file.relative);
    if (!row) return 'new' as const;
    const {bytes, mtime_ms} = stats[index]!;
    if (bytes === row.bytes && mtime_ms === row.mtime_ms) return 'same' as const;
    return (await sha256File(file.absolute)) === row.sha256 ? ('rehashed' as const) : ('changed' as const);
  });
  const plan: SyncPlan = {toEmbed: [], tombstones: [], kept: 0, rehashed: 0};
  const seen = new Set<string>();
  for (const [index, file] of files.entries()) {
    seen.add(file.relative);
    const verdict = verdicts[index]!;
    if (verdict === 'same' || verdict === 'rehashed') {
      plan.kept++;
      if (verdict === 'rehashed') plan.rehashed++;
      continue;
    }
    if (verdict === 'changed') {
      const row = byFile.get(file.relative)!;
      plan.tombstones.push({shard: row.shard, row: row.row, file: row.file, reason: 'changed'});
    }
    plan.toEmbed.push({...file, ...stats[index]!});
  }
  for (const row of live) {
    if (!seen.has(row.file))
      plan.tombstones.push({shard: row.shard, row: row.row, file: row.file, reason: 'deleted'});
  }
  return plan;
}
