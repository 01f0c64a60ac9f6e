/**
 * Query-string values from clients, read strictly: one value per name, whole numbers written plainly (no 0x10,
 * 1e2, 1.0, blanks or signs), and search text parsed here so that no term can name a file on the server.
 */
import {UserError} from '../core/errors.js';
import {parseQuery} from '../core/search/query.js';
import {type SearchFilters, underPrefix} from '../core/search/result-filter.js';
import {type ClientQuery, clientQuery} from './backend.js';
import {HttpError} from './http-error.js';

const WHOLE = /^(0|[1-9][0-9]*)$/;
export const MAX_QUERY_CHARS = 1000;
export const MAX_QUERY_TERMS = 16;
export const MAX_UNDER_CHARS = 256;
const DECIMAL = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$|^-?\.[0-9]+$/;

/** Throws a 400 naming any parameter outside `known` (a misspelt min_score must not pass silently). */
export function refuseUnknown(query: unknown, known: readonly string[]): void {
  for (const name of Object.keys((query ?? {}) as Record<string, unknown>)) {
    if (!known.includes(name))
      throw new HttpError(
        400,
        `unknown parameter '${name.slice(0, 40)}'; this route takes ${known.join(', ')}`,
      );
  }
}

/** `min_score` (a plain decimal from -1 to 1) and `under` (a relative subfolder of the images folder). */
export function parseFilters(query: {min_score?: string; under?: string}): SearchFilters {
  const filters: SearchFilters = {};
  if (query.min_score !== undefined) {
    const raw = query.min_score;
    const value = DECIMAL.test(raw) && raw.length <= 20 ? Number(raw) : Number.NaN;
    if (!(value >= -1 && value <= 1))
      throw new HttpError(
        400,
        `min_score must be a decimal from -1 to 1 (a cosine), got '${raw.slice(0, 40)}'`,
      );
    filters.minScore = value;
  }
  if (query.under !== undefined) {
    const under = query.under;
    if (under.length === 0 || under.length > MAX_UNDER_CHARS)
      throw new HttpError(400, `under must be a subfolder name of 1 to ${MAX_UNDER_CHARS} characters`);
    if (under.startsWith('/') || under.includes('\\') || /^[a-z]:/i.test(under))
      throw new HttpError(
        400,
        'under must be relative to the images folder (like holidays/2024), not absolute',
      );
    try {
      filters.under = underPrefix(under, undefined, 'under') ?? '.';
    } catch (error) {
      if (error instanceof UserError) throw new HttpError(400, error.message);
      throw error;
    }
  }
  return filters;
}

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
