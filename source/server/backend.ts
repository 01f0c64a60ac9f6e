/** What the HTTP layer needs from the engine; the real one wraps the searcher, embedder and cache. */

import type {AppendReport} from '../core/append/name-uploads.js';
import type {DuplicateChoices} from '../core/duplicates/options.js';
import type {ScanView} from '../core/duplicates/scan-view.js';
import type {Query, QueryTerm} from '../core/search/query.js';
import type {SearchFilters} from '../core/search/result-filter.js';
import type {SearchResult} from '../core/search/searcher.js';

export interface CollectionStats {
  count: number;
  model: string;
  dtype: string;
  dims: number;
  index: string;
}

/** A query the client got wrong (unreadable image, unknown id): answered with a 4xx, never a crash. */
export class BadQueryError extends Error {
  override readonly name = 'BadQueryError';
}

/** A query from a client: its image terms hold uploaded bytes, never a path on the server. */
export interface ClientQuery {
  terms: (
    | Exclude<QueryTerm, {kind: 'image'} | {kind: 'url'}>
    | {kind: 'image'; image: Uint8Array; weight: number}
  )[];
}

/** Narrows a parsed query to a ClientQuery, refusing any term that names a server-side file. */
export function clientQuery(query: Query): ClientQuery {
  const terms: ClientQuery['terms'] = [];
  for (const term of query.terms) {
    if (term.kind === 'image' && typeof term.image === 'string')
      throw new BadQueryError(
        'image: terms name files on the server and are not taken over HTTP; POST the image to /api/search (as the body or a multipart file), or use id:N for an image in the collection',
      );
    // The server would fetch any address a client names (its own network included): links stay a CLI feature.
    if (term.kind === 'url')
      throw new BadQueryError(
        `image links are not fetched over HTTP (${term.url.slice(0, 80)}); download the image and POST it to /api/search, or use id:N`,
      );
    terms.push(term as ClientQuery['terms'][number]);
  }
  return {terms};
}

export interface DuplicatesRequest extends DuplicateChoices {
  offset: number;
  limit: number;
}

/** A page of duplicate groups for a client; server paths left out. */
export type DuplicatesPage = Omit<ScanView, 'embeddingsDir' | 'imagesDir'> & {offset: number};

export interface ServeBackend {
  stats(): CollectionStats;
  /** A parsed query (text, id: and uploaded-image terms); the backend checks it again with clientQuery. */
  searchText(query: ClientQuery, k: number, filters?: SearchFilters): Promise<SearchResult[]>;
  searchImage(bytes: Uint8Array, k: number, filters?: SearchFilters): Promise<SearchResult[]>;
  searchById(id: number, k: number, filters?: SearchFilters): Promise<SearchResult[]>;
  /** Absolute path of row `id`'s image, already checked to lie inside the dataset folder; undefined if none. */
  imagePath(id: number): Promise<string | undefined>;
  embedUploads(files: {name: string; data: Uint8Array}[]): Promise<AppendReport>;
  /** Groups of duplicate images (collections only; absent for a folder of plain outputs). */
  duplicates?(request: DuplicatesRequest): Promise<DuplicatesPage>;
  close(): Promise<void>;
}
