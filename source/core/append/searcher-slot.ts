/**
 * The live collection's current searcher, swapped when the folder changes: a search holds the searcher it started
 * with, and a replaced searcher is closed only once its last search is done (closing releases the text model).
 */
import {stat} from 'node:fs/promises';
import type {Searcher} from '../search/searcher.js';

export interface SearcherSlot {
  readonly current: Searcher;
  /** Runs `work` on the current searcher, keeping it open until `work` settles. */
  use<T>(work: (searcher: Searcher) => Promise<T>): Promise<T>;
  /** Makes `next` current; the old one closes now, or after its last search. */
  replace(next: Searcher): Promise<void>;
  /** Closes the current searcher (after its searches). */
  close(): Promise<void>;
}

export function createSearcherSlot(first: Searcher): SearcherSlot {
  let current = first;
  const users = new Map<Searcher, number>();
  const retiring = new Set<Searcher>();
  const release = async (searcher: Searcher): Promise<void> => {
    const left = (users.get(searcher) ?? 1) - 1;
    if (left > 0) return void users.set(searcher, left);
    users.delete(searcher);
    if (retiring.delete(searcher)) await searcher.close();
  };
  const retire = async (searcher: Searcher): Promise<void> => {
    if (users.has(searcher)) retiring.add(searcher);
    else await searcher.close();
  };
  return {
    get current() {
      return current;
    },
    async use(work) {
      const searcher = current;
      users.set(searcher, (users.get(searcher) ?? 0) + 1);
      try {
        return await work(searcher);
      } finally {
        await release(searcher);
      }
    },
    async replace(next) {
      const old = current;
      current = next;
      await retire(old);
    },
    close: () => retire(current),
  };
}

/**
 * What changes when any process commits to an embeddings folder: the manifest of a collection, metadata.json of
 * plain outputs (each is replaced by a rename, so its inode changes too). 'missing' when there is none.
 */
export async function folderStamp(path: string): Promise<string> {
  const info = await stat(path).catch(() => undefined);
  return info ? `${info.ino}:${info.size}:${info.mtimeMs}` : 'missing';
}
