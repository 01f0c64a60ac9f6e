/**
 * Reads the images a query names before it is embedded: `image:PATH` from the local disk and image links through
 * the downloader's own attempt (size cap, total deadline, counted redirects, http(s) only) and its validation
 * (magic number, not an HTML page, not cut short, header within the pixel limit). Nothing is handed to the
 * decoder unchecked, and every failure is a UserError that names the term.
 */
import {resolve} from 'node:path';
import {fetchAttempt, readLocalAttempt} from '../download/fetch-attempt.js';
import {validateImage} from '../download/validate-image.js';
import {UserError} from '../errors.js';
import {DEFAULT_PIXEL_LIMIT} from '../image/sharp-image.js';
import {createHttpClient, type HttpClient} from '../net/http.js';
import type {Query, QueryTerm} from './query.js';

export interface QuerySourceOptions {
  signal?: AbortSignal;
  /** `image:` paths are resolved against this (default: the working directory). */
  baseDir?: string;
  /** Largest image a term may be (default 20 MB, as serve's uploads). */
  maxBytes?: number;
  /** Deadline for one link, from request to the last byte (default 30 s). */
  timeoutMs?: number;
  maxRedirects?: number;
  pixelLimit?: number;
  /** A client to fetch with (tests); one is made and closed otherwise. */
  client?: HttpClient;
}

export const QUERY_IMAGE_MAX_BYTES = 20 * 1024 * 1024;
const IMAGE_HINT = 'give a readable JPEG, PNG, WebP, GIF, TIFF or AVIF image';

/** The query with every `image:PATH` and link term replaced by the checked bytes of its image. */
export async function readQuerySources(query: Query, options: QuerySourceOptions = {}): Promise<Query> {
  const needsClient = query.terms.some((term) => term.kind === 'url');
  const client = options.client ?? (needsClient ? createHttpClient({connections: 2}) : undefined);
  try {
    const terms: QueryTerm[] = [];
    for (const term of query.terms) {
      if (term.kind === 'url')
        terms.push({kind: 'image', image: await fetchImage(term.url, client!, options), weight: term.weight});
      else if (term.kind === 'image' && typeof term.image === 'string')
        terms.push({kind: 'image', image: await readImage(term.image, options), weight: term.weight});
      else terms.push(term);
    }
    return {terms};
  } finally {
    if (client && !options.client) await client.close();
  }
}

const limitsOf = (options: QuerySourceOptions) => ({
  minBytes: 0,
  maxBytes: options.maxBytes ?? QUERY_IMAGE_MAX_BYTES,
  pixelLimit: options.pixelLimit ?? DEFAULT_PIXEL_LIMIT,
});

async function checked(bytes: Uint8Array, label: string, options: QuerySourceOptions): Promise<Uint8Array> {
  const valid = await validateImage(bytes, limitsOf(options));
  if (!valid.ok) throw new UserError(`cannot use ${label} as a query image: ${valid.message}`, IMAGE_HINT);
  return bytes;
}

async function readImage(path: string, options: QuerySourceOptions): Promise<Uint8Array> {
  const full = resolve(options.baseDir ?? '.', path);
  const read = await readLocalAttempt(full, limitsOf(options).maxBytes);
  if (!read.ok) {
    const why = read.aborted ? 'interrupted' : plainReason(read.message);
    throw new UserError(
      `cannot read the query image ${path}: ${why}`,
      `check the path (${full}); ${IMAGE_HINT}`,
    );
  }
  return checked(read.bytes, path, options);
}

async function fetchImage(url: string, client: HttpClient, options: QuerySourceOptions): Promise<Uint8Array> {
  const signal = options.signal ?? new AbortController().signal;
  const result = await fetchAttempt(client, url, {
    signal,
    attemptTimeoutMs: options.timeoutMs ?? 30_000,
    maxBytes: limitsOf(options).maxBytes,
    maxRedirects: options.maxRedirects ?? 5,
    onBytes: () => {},
  });
  if (!result.ok) {
    if (result.aborted) throw signal.reason ?? new Error('aborted');
    throw new UserError(
      `cannot fetch the query image ${url}: ${result.message}`,
      'check the link in a browser, or download the image and use image:PATH',
    );
  }
  return checked(result.bytes, url, options);
}

/** "ENOENT: no such file or directory, stat '/x'" -> "no such file" (the full path is in the hint). */
function plainReason(message: string): string {
  const code = /^(E[A-Z]+)\b/.exec(message)?.[1];
  const known: Record<string, string> = {
    ENOENT: 'no such file',
    EACCES: 'permission denied',
    EISDIR: 'it is a folder, not an image file',
    ENOTDIR: 'a part of the path is not a folder',
  };
  return (code && known[code]) ?? message;
}
