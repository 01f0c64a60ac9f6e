/**
 * The real ServeBackend: the HTTP side of a live collection (core/append/live-collection.ts), which owns the
 * searcher and the uploads' cache-through append. Here: queries a client got wrong become 4xx answers, and image
 * files are served only from inside the dataset folder.
 */
import {realpath} from 'node:fs/promises';
import {isAbsolute, join, relative, sep} from 'node:path';
import {CollectionBusyError} from '../core/append/append-shard.js';
import {openLiveCollection} from '../core/append/live-collection.js';
import {isCollection} from '../core/collection/layout.js';
import type {EmbeddingCachePort} from '../core/embed/cache-port.js';
import {isUserError} from '../core/errors.js';
import {imageQuery, rowQuery} from '../core/search/query.js';
import type {IndexChoice} from '../core/search/searcher.js';
import {BadQueryError, clientQuery, type ServeBackend} from './backend.js';
import {duplicatesService} from './duplicates-service.js';

export interface CollectionBackendOptions {
  embeddingsDir: string;
  modelsDir: string;
  model?: string;
  index?: IndexChoice;
  cache?: EmbeddingCachePort;
}

export async function openCollectionBackend(options: CollectionBackendOptions): Promise<ServeBackend> {
  const live = await openLiveCollection({...options, embeddingsDir: options.embeddingsDir});
  // Duplicates are found from a collection's shards; a folder of plain outputs has none to scan.
  const sharded = await isCollection(options.embeddingsDir);

  const asBadQuery = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      if (isUserError(error)) throw new BadQueryError(error.message);
      throw error;
    }
  };

  return {
    stats: () => {
      const {searcher} = live;
      return {
        count: searcher.count,
        model: searcher.modelName,
        dtype: searcher.dtype,
        dims: searcher.dims,
        index: searcher.index,
      };
    },
    searchText: (query, k, filters) => asBadQuery(() => live.search(clientQuery(query), k, filters)),
    searchImage: (bytes, k, filters) => asBadQuery(() => live.search(imageQuery(bytes), k, filters)),
    searchById: (id, k, filters) => {
      if (id >= live.searcher.count) return Promise.reject(new BadQueryError(`no image with id ${id}`));
      return asBadQuery(() => live.search(rowQuery(id), k, filters));
    },
    async imagePath(id) {
      const file = live.searcher.files[id];
      if (file === undefined) return undefined;
      const root = await realpath(live.imagesDir);
      const candidate = await realpath(join(root, file)).catch(() => undefined);
      // Only files that really lie inside the dataset folder, whatever the filenames or symlinks say.
      if (candidate === undefined) return undefined;
      const inside = relative(root, candidate);
      if (inside === '' || inside.startsWith(`..${sep}`) || inside === '..' || isAbsolute(inside))
        return undefined;
      return candidate;
    },
    ...(sharded ? {duplicates: duplicatesService(options.embeddingsDir)} : {}),
    async embedUploads(files) {
      try {
        return await live.append(files);
      } catch (error) {
        // Another writer holds the lock: the client may try again later.
        if (error instanceof CollectionBusyError) throw new BadQueryError(error.message);
        throw error;
      }
    },
    close: () => live.close(),
  };
}
