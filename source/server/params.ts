/**
 * Query-string values from clients, read strictly: one value per name, whole numbers written plainly (no 0x10,
 * 1e2, 1.0, blanks or signs), and search text parsed here so that no term can name a file on the server.
 */
import {UserError} from '../core/errors.js';
import {parseQuery} from '../core/search/query.js';
import {type ClientQuery, clientQuery} from './backend.js';
import {HttpError} from './http-error.js';

const WHOLE = /^(0|[1-9][0-9]*)$/;
export const MAX_QUERY_CHARS = 1000;
export const MAX_QUERY_TERMS = 16;

/** Throws a 400 when a name is given more than once (fastify's parser makes those arrays). */
export function refuseRepeated(query: unknown): void {
  for (const [name, value] of Object.entries((query ?? {}) as Record<string, unknown>)) {
    if (Array.isArray(value))
      throw new HttpError(400, `the parameter '${name}' is given ${value.length} times; give it once`);
  }
}

/** A whole number from `min` to `max`, written as plain decimal digits. */
export function parseWhole(raw: string, name: string, min: number, max: number): number {
  const value = WHOLE.test(raw) ? Number(raw) : Number.NaN;
  if (!(value >= min && value <= max && Number.isSafeInteger(value)))
    throw new HttpError(
      400,
      `${name} must be a whole number from ${min} to ${max}, got '${raw.slice(0, 40)}'`,
    );
  return value;
}

export const parseId = (raw: string): number => parseWhole(raw, 'id', 0, Number.MAX_SAFE_INTEGER);

/** Search text in the search syntax, without `image:` terms: over HTTP an image comes as an upload or an id. */
export function parseClientQuery(text: string): ClientQuery {
  if (text.length > MAX_QUERY_CHARS)
    throw new HttpError(400, `the query is longer than ${MAX_QUERY_CHARS} characters`);
  let query: ReturnType<typeof parseQuery>;
  try {
    query = parseQuery(text);
  } catch (error) {
    if (error instanceof UserError) throw new HttpError(400, `${error.message} (${error.hint ?? ''})`);
    throw error;
  }
  if (query.terms.length > MAX_QUERY_TERMS)
    throw new HttpError(
      400,
      `the query has ${query.terms.length} terms; at most ${MAX_QUERY_TERMS} are allowed`,
    );
  return clientQuery(query);
}
