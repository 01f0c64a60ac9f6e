/**
 * The REST API and web UI over one embeddings folder. A thin adapter: it validates and bounds requests, then
 * calls the backend; every error leaves as JSON with a fitting status code.
 */
import {createReadStream} from 'node:fs';
import {extname} from 'node:path';
import multipart from '@fastify/multipart';
import Fastify, {type FastifyInstance, type FastifyReply, type FastifyRequest} from 'fastify';
import {BadQueryError, type ServeBackend} from './backend.js';
import {webPage} from './web-page.js';

export interface ServerOptions {
  backend: ServeBackend;
  /** When set, every /api request needs `Authorization: Bearer <token>` (or `?token=` for images). */
  token?: string;
  maxK?: number;
  maxUploadBytes?: number;
  maxUploadFiles?: number;
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

export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const maxK = options.maxK ?? 100;
  const maxUploadBytes = options.maxUploadBytes ?? 20 * 1024 * 1024;
  const app = Fastify({logger: options.logger ?? false, bodyLimit: maxUploadBytes});
  await app.register(multipart, {limits: {fileSize: maxUploadBytes, files: options.maxUploadFiles ?? 32}});
  // Image bodies (query by example) arrive raw; keep them as bytes.
  app.addContentTypeParser(
    /^(image\/.*|application\/octet-stream)$/,
    {parseAs: 'buffer'},
    (_request, body, done) => done(null, body),
  );

  app.setErrorHandler((error: Error & {statusCode?: number; code?: string}, _request, reply) => {
    if (error instanceof BadQueryError) return reply.code(400).send({error: error.message});
    const status =
      error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    const message = status === 500 ? 'internal error' : error.message;
    if (status === 500) app.log.error(error);
    return reply.code(status).send({error: message});
  });
  app.setNotFoundHandler((_request, reply) => reply.code(404).send({error: 'not found'}));

  app.addHook('onRequest', async (request, reply) => {
    if (!options.token || !request.url.startsWith('/api/')) return;
    if (request.url.startsWith('/api/health')) return;
    const header = request.headers.authorization;
    const queryToken = (request.query as {token?: string} | undefined)?.token;
    const presented = header?.startsWith('Bearer ') ? header.slice(7) : queryToken;
    if (presented !== options.token) {
      await reply.code(401).send({error: 'missing or wrong bearer token'});
    }
  });

  app.get('/', async (_request, reply) => reply.type('text/html; charset=utf-8').send(webPage));
  app.get('/api/health', async () => ({status: 'ok'}));
  app.get('/api/stats', async () => options.backend.stats());

  app.get('/api/search', async (request) => {
    const query = request.query as {q?: string; id?: string; k?: string};
    const k = parseK(query.k, maxK);
    if (query.id !== undefined) return {results: await options.backend.searchById(parseId(query.id), k)};
    const text = query.q?.trim();
    if (!text) throw new BadQueryError("give a text query with ?q=… (or ?id=N to search by an image's row)");
    if (text.length > 1000) throw new BadQueryError('query text is longer than 1000 characters');
    return {results: await options.backend.searchText(text, k)};
  });

  app.post('/api/search', async (request) => {
    const k = parseK((request.query as {k?: string}).k, maxK);
    const bytes = await readImageBody(request);
    return {results: await options.backend.searchImage(bytes, k)};
  });

  app.get('/api/images/:id', async (request, reply) => serveImage(options.backend, request, reply));

  app.post('/api/embed', async (request, reply) => {
    if (!request.isMultipart())
      throw new BadQueryError('send images as multipart/form-data (field name: files)');
    const files: {name: string; data: Uint8Array}[] = [];
    for await (const part of request.files()) {
      const data = await part.toBuffer();
      files.push({name: part.filename || `upload-${files.length}`, data});
    }
    if (files.length === 0) throw new BadQueryError('no files in the upload');
    const result = await options.backend.embedUploads(files);
    return reply.code(result.added.length > 0 ? 201 : 422).send(result);
  });

  app.addHook('onClose', async () => options.backend.close());
  return app;
}

function parseK(raw: string | undefined, maxK: number): number {
  if (raw === undefined || raw === '') return 10;
  const k = Number(raw);
  if (!Number.isInteger(k) || k < 1 || k > maxK)
    throw new BadQueryError(`k must be a whole number from 1 to ${maxK}`);
  return k;
}

function parseId(raw: string): number {
  const id = Number(raw);
  if (!Number.isInteger(id) || id < 0) throw new BadQueryError('id must be a non-negative whole number');
  return id;
}

async function readImageBody(request: FastifyRequest): Promise<Uint8Array> {
  if (request.isMultipart()) {
    const part = await request.file();
    if (!part) throw new BadQueryError('the upload holds no file');
    return part.toBuffer();
  }
  const body = request.body;
  if (!(body instanceof Uint8Array) || body.length === 0) {
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
  return reply
    .type(type)
    .header('cache-control', 'private, max-age=3600')
    .header('x-content-type-options', 'nosniff')
    .send(createReadStream(path));
}
