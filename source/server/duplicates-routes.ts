/**
 * The duplicates page and its API: `GET /duplicates` (the page, public like `/`) and `GET /api/duplicates`
 * (read access, like search) with bounded parameters: method, threshold, keep, offset, limit.
 */
import type {FastifyInstance} from 'fastify';
import {parseDuplicateChoices} from '../core/duplicates/options.js';
import {UserError} from '../core/errors.js';
import type {Access} from './access.js';
import type {DuplicatesPage, DuplicatesRequest} from './backend.js';
import {duplicatesPage} from './duplicates-page.js';
import {HttpError} from './http-error.js';
import {parseWhole} from './params.js';

export const MAX_DUPLICATE_GROUPS = 100;
const NUMBER = /^(0|[1-9][0-9]?)(\.[0-9]{1,6})?$/;

type Query = Partial<Record<'method' | 'threshold' | 'keep' | 'offset' | 'limit', string>>;

export function parseDuplicatesQuery(query: Query): DuplicatesRequest {
  for (const name of Object.keys(query))
    if (!['method', 'threshold', 'keep', 'offset', 'limit'].includes(name))
      throw new HttpError(
        400,
        `unknown parameter '${name.slice(0, 40)}'; use method, threshold, keep, offset, limit`,
      );
  let threshold: number | undefined;
  if (query.threshold !== undefined) {
    if (!NUMBER.test(query.threshold))
      throw new HttpError(400, `threshold must be a plain number, got '${query.threshold.slice(0, 40)}'`);
    threshold = Number(query.threshold);
  }
  try {
    return {
      ...parseDuplicateChoices({method: query.method, threshold, keep: query.keep}),
      offset: query.offset === undefined ? 0 : parseWhole(query.offset, 'offset', 0, 10_000_000),
      limit: query.limit === undefined ? 20 : parseWhole(query.limit, 'limit', 1, MAX_DUPLICATE_GROUPS),
    };
  } catch (error) {
    if (error instanceof UserError) throw new HttpError(400, `${error.message} (${error.hint ?? ''})`);
    throw error;
  }
}

export function registerDuplicateRoutes(
  app: FastifyInstance,
  duplicates: ((request: DuplicatesRequest) => Promise<DuplicatesPage>) | undefined,
): void {
  const access = (level: Access) => ({config: {access: level}});
  app.get('/duplicates', access('public'), async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(duplicatesPage),
  );
  app.get('/api/duplicates', access('read'), async (request) => {
    const parsed = parseDuplicatesQuery(request.query as Query);
    if (!duplicates) throw new HttpError(404, 'this server does not offer duplicates');
    return duplicates(parsed);
  });
}
