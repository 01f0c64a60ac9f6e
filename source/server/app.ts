/**
 * The REST API and web UI over one embeddings folder. A thin adapter: it checks who may ask (Host, origin, token,
 * judged on the route the router chose), validates and bounds requests, then calls the backend; every error
 * leaves as JSON with a fitting status code, and every 500 is logged.
 */
import {createReadStream} from 'node:fs';
import {extname} from 'node:path';
import multipart from '@fastify/multipart';
import Fastify, {type FastifyInstance, type FastifyReply, type FastifyRequest} from 'fastify';
import {type Access, authorise, refuseCrossOrigin} from './access.js';
import {BadQueryError, type ServeBackend} from './backend.js';
import {type BodyLimits, createGate, readRawBody, readUploads} from './bodies.js';
import {registerDuplicateRoutes} from './duplicates-routes.js';
import {hostCheck} from './host-check.js';
import {HttpError} from './http-error.js';
import {
  parseClientQuery,
  parseFilters,
  parseId,
  parseWhole,
  refuseRepeated,
  refuseUnknown,
} from './params.js';
import {webPage} from './web-page.js';

export interface ServerOptions {
  backend: ServeBackend;
  /** When set, /api routes need `Authorization: Bearer <token>` (`?token=` on images); writes always need one. */
  token?: string;
  /** The address the server binds to (for the Host check); loopback when left out. */
  bind?: string;
  /** Host names besides this machine's that clients may use (`.example.com` for a domain and its subdomains). */
  allowHosts?: readonly string[];
  maxK?: number;
  /** Bytes per uploaded file or image body (default 20 MB). */
  maxUploadBytes?: number;
  /** Bytes of all files in one upload request (default 64 MB). */
  maxRequestBytes?: number;
  maxUploadFiles?: number;
  /** Requests holding bodies in memory at once (default 2); more get a 503. */
  maxConcurrentUploads?: number;
  /** Where 500s are reported, one entry each with its stack (default: stderr). */
  logError?: (line: string) => void;
  logger?: boolean;
}

const IMAGE_TYPES: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
  '.avif': 'image/avif',
};

interface SearchParams {
  k?: string;
  min_score?: string;
  under?: string;
}

const access = (level: Access) => ({config: {access: level}});

export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const maxK = options.maxK ?? 100;
  const fileBytes = options.maxUploadBytes ?? 20 * 1024 * 1024;
  const limits: BodyLimits = {
    fileBytes,
    requestBytes: options.maxRequestBytes ?? Math.max(fileBytes, 64 * 1024 * 1024),
    files: options.maxUploadFiles ?? 32,
  };
  const gate = createGate(options.maxConcurrentUploads ?? 2);
  const logError = options.logError ?? ((line: string) => process.stderr.write(`${line}\n`));
  const hostAllowed = hostCheck({bind: options.bind ?? '127.0.0.1', allowHosts: options.allowHosts});
  const token = options.token || undefined;

  const app = Fastify({logger: options.logger ?? false, bodyLimit: 64 * 1024});
  // Only the bodies the handlers read themselves, counting bytes: no JSON or text parser buffers a body first.
  app.removeAllContentTypeParsers();
  await app.register(multipart);
  app.addContentTypeParser(/^(image\/[\w.+-]+|application\/octet-stream)$/, (_request, _payload, done) =>
    done(null),
  );

  app.setErrorHandler((error: Error & {statusCode?: number}, request, reply) => {
    if (error instanceof HttpError) reply.headers(error.headers);
    const status =
      error instanceof BadQueryError
        ? 400
        : error.statusCode && error.statusCode >= 400 && error.statusCode < 600 && error.statusCode !== 500
          ? error.statusCode
          : 500;
    if (status === 500) {
      const route = request.routeOptions.url ?? '(no route)';
      logError(`serve: internal error on ${request.method} ${route}: ${error.stack ?? error.message}`);
    }
    return reply.code(status).send({error: status === 500 ? 'internal error' : error.message});
  });
  app.setNotFoundHandler((_request, reply) => reply.code(404).send({error: 'not found'}));

  app.addHook('onRequest', async (request) => {
    if (!hostAllowed(request.headers.host))
      throw new HttpError(
        403,
        'the Host header does not name this server; start serve with --allow-host NAME to accept that name',
      );
    refuseCrossOrigin(request);
    authorise(request, token);
    refuseRepeated(request.query);
  });
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('cross-origin-resource-policy', 'same-origin');
    reply.header('x-frame-options', 'DENY');
    // A body still arriving is not read to its end (keep-alive would drain it): the connection closes instead.
    if (!request.raw.complete) reply.header('connection', 'close');
  });

  app.get('/', access('public'), async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(webPage),
  );
  app.get('/api/health', access('public'), async () => ({status: 'ok'}));
  app.get('/api/stats', access('read'), async () => options.backend.stats());

  app.get('/api/search', access('read'), async (request) => {
    const query = request.query as SearchParams & {q?: string; id?: string};
    refuseUnknown(query, ['q', 'id', 'k', 'min_score', 'under']);
    const k = query.k === undefined ? 10 : parseWhole(query.k, 'k', 1, maxK);
    const filters = parseFilters(query);
    if (query.id !== undefined && query.q !== undefined)
      throw new HttpError(400, 'give either ?q=… or ?id=N, not both');
    if (query.id !== undefined)
      return {results: await options.backend.searchById(parseId(query.id), k, filters)};
    const text = query.q?.trim();
    if (!text) throw new BadQueryError("give a text query with ?q=… (or ?id=N to search by an image's row)");
    return {results: await options.backend.searchText(parseClientQuery(text), k, filters)};
  });

  // Search by an uploaded image: a read (nothing is stored), with the uploads' byte limits and gate.
  app.post('/api/search', access('read'), async (request) => {
    const query = request.query as SearchParams;
    refuseUnknown(query, ['k', 'min_score', 'under']);
    const k = query.k === undefined ? 10 : parseWhole(query.k, 'k', 1, maxK);
    const filters = parseFilters(query);
    const leave = gate.enter();
    try {
      const bytes = await readImageBody(request, limits);
      return {results: await options.backend.searchImage(bytes, k, filters)};
    } finally {
      leave();
    }
  });

  app.get('/api/images/:id', access('image'), async (request, reply) =>
    serveImage(options.backend, request, reply),
  );

  app.post('/api/embed', access('write'), async (request, reply) => {
    const leave = gate.enter();
    try {
      const files = await readUploads(request, limits);
      const result = await options.backend.embedUploads(files);
      return reply.code(result.added.length > 0 ? 201 : 422).send(result);
    } finally {
      leave();
    }
  });

  registerDuplicateRoutes(app, options.backend.duplicates?.bind(options.backend));

  app.addHook('onClose', async () => options.backend.close());
  return app;
}

async function readImageBody(request: FastifyRequest, limits: BodyLimits): Promise<Uint8Array> {
  if (request.isMultipart()) {
    const [file] = await readUploads(request, {...limits, requestBytes: limits.fileBytes, files: 1});
    return file!.data;
  }
  const body = request.headers['content-type'] ? await readRawBody(request, limits.fileBytes) : undefined;
  if (!body || body.length === 0) {
    throw new BadQueryError(
      'send an image as the request body (Content-Type image/*) or as multipart/form-data',
    );
  }
  return body;
}

async function serveImage(backend: ServeBackend, request: FastifyRequest, reply: FastifyReply) {
  const id = parseId((request.params as {id: string}).id);
  const path = await backend.imagePath(id);
  if (path === undefined) return reply.code(404).send({error: `no image with id ${id}`});
  const type = IMAGE_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
  return reply.type(type).header('cache-control', 'private, max-age=3600').send(createReadStream(path));
}
