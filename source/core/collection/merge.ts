/**
 * `visual-cortex merge`: rebuilds a collection's merged view from its shards, after adopting committed shards the
 * manifest missed and dropping listed ones that are gone (what any writer does on open). A stop between shards
 * leaves the previous view as it was.
 */
import {resolve} from 'node:path';
import {UserError} from '../errors.js';
import {isCollection} from './layout.js';
import {liveRowCount} from './state.js';
import {openCollectionWriter} from './writer.js';

export interface MergeReport {
  embeddingsDir: string;
  shards: number;
  liveRows: number;
  tombstones: number;
  adopted: string[];
  dropped: string[];
  /** Dead writers' temp files and folders removed on open. */
  removedTemps: number;
  /** The new view's generation; undefined when stopped before the switch. */
  generation?: string;
  paths?: {embeddings: string; filenames: string; metadata: string};
  /** links: switched in one step; files: written in place (no symlinks on this file system). */
  mode?: 'links' | 'files';
  interrupted: boolean;
}

export type MergeEvent =
  | {type: 'opened'; shards: number; liveRows: number; adopted: string[]; dropped: string[]}
  | {type: 'shard'; done: number; total: number}
  | {type: 'done'; report: MergeReport};

export async function mergeCollection(options: {
  embeddingsDir: string;
  signal?: AbortSignal;
  onEvent?: (event: MergeEvent) => void;
}): Promise<MergeReport> {
  const embeddingsDir = resolve(options.embeddingsDir);
  const emit = options.onEvent ?? (() => {});
  if (!(await isCollection(embeddingsDir)))
    throw new UserError(
      `${embeddingsDir} is not a collection (no manifest.json), so there is nothing to merge`,
      "its image_embeddings.npy is already the whole output; 'visual-cortex embed' into it makes it a collection",
    );
  const writer = await openCollectionWriter({embeddingsDir, signal: options.signal});
  try {
    const state = writer.state;
    if (!state) throw new Error(`${embeddingsDir} has no manifest`);
    const base = {
      embeddingsDir,
      shards: state.shards.length,
      liveRows: liveRowCount(state),
      tombstones: state.manifest.tombstones.length,
      adopted: [...writer.adopted],
      dropped: [...writer.dropped],
      removedTemps: writer.removedTemps.length,
    };
    emit({
      type: 'opened',
      shards: base.shards,
      liveRows: base.liveRows,
      adopted: base.adopted,
      dropped: base.dropped,
    });
    const view = await writer.writeMergedView({onShard: (done, total) => emit({type: 'shard', done, total})});
    const report: MergeReport = view
      ? {...base, generation: view.generation, paths: view.paths, mode: view.mode, interrupted: false}
      : {...base, interrupted: true};
    emit({type: 'done', report});
    return report;
  } finally {
    await writer.close();
  }
}
