/**
 * Request bodies held in memory, bounded: bytes per file, bytes per request, files per request, and requests
 * holding bodies at once (a gate). Bytes are counted as they arrive, so an oversized or endless upload is cut
 * off at the limit with a 413 instead of being read to its end.
 */
import type {FastifyRequest} from 'fastify';
import {HttpError} from './http-error.js';

export interface BodyLimits {
  /** Bytes in one file (or one raw image body). */
  fileBytes: number;
  /** Bytes in all files of one request together. */
  requestBytes: number;
  /** Files in one request. */
  files: number;
}

export interface Upload {
  name: string;
  data: Uint8Array;
}

const MAX_FIELDS = 8; // a form may carry a few text fields; they are ignored, but bounded
const MAX_NAME_CHARS = 255;

const describeBytes = (bytes: number): string =>
  bytes >= 1024 * 1024
    ? `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB`
    : bytes >= 1024
      ? `${Math.round((bytes / 1024) * 10) / 10} KB`
      : `${bytes} bytes`;
const tooLarge = (what: string, limit: number): HttpError =>
  new HttpError(413, `${what} is over the limit of ${describeBytes(limit)}`);

function refuseDeclaredLength(request: FastifyRequest, limit: number): void {
  const declared = Number(request.headers['content-length']);
  if (declared > limit) throw tooLarge('the request body', limit);
}

/** Multipart errors as answers: limits are 413s, anything the parser could not read is a 400. */
function asClientError(error: unknown, limits: BodyLimits): unknown {
  if (error instanceof HttpError) return error;
  const code = (error as {code?: string}).code;
  if (code === 'FST_FILES_LIMIT') return new HttpError(413, `more than ${limits.files} files in one request`);
  if (code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT')
    return new HttpError(413, `more than ${MAX_FIELDS} form fields besides the files`);
  if (code === 'FST_REQ_FILE_TOO_LARGE') return tooLarge('a file', limits.fileBytes);
  const status = (error as {statusCode?: number}).statusCode;
  if (status !== undefined && status >= 400 && status < 500)
    return new HttpError(400, `malformed multipart body: ${(error as Error).message}`);
  // The parser's own complaints (bad boundary, truncated part) are plain Errors; a bug is anything else.
  if (error instanceof Error && error.constructor === Error)
    return new HttpError(400, `malformed multipart body: ${error.message}`);
  return error;
}

/** The files of a multipart/form-data request, read into memory within `limits`. */
export async function readUploads(request: FastifyRequest, limits: BodyLimits): Promise<Upload[]> {
  if (!request.isMultipart())
    throw new HttpError(400, 'send images as multipart/form-data (field name: files)');
  refuseDeclaredLength(request, limits.requestBytes + 64 * 1024 * limits.files);
  const files: Upload[] = [];
  let total = 0;
  try {
    const parts = request.files({
      throwFileSizeLimit: false,
      limits: {
        // One byte over the limit must reach the loop below, which answers 413 as soon as it sees it.
        fileSize: limits.fileBytes + 1,
        files: limits.files,
        fields: MAX_FIELDS,
        fieldSize: 1024,
        parts: limits.files + MAX_FIELDS,
        headerPairs: 16,
      },
    });
    for await (const part of parts) {
      const name = (part.filename || `upload-${files.length}`).slice(0, MAX_NAME_CHARS);
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of part.file as AsyncIterable<Buffer>) {
        size += chunk.length;
        total += chunk.length;
        if (size > limits.fileBytes) throw tooLarge(`the file '${name}'`, limits.fileBytes);
        if (total > limits.requestBytes)
          throw tooLarge('the files of one request together', limits.requestBytes);
        chunks.push(chunk);
      }
      files.push({name, data: Buffer.concat(chunks)});
    }
  } catch (error) {
    throw asClientError(error, limits);
  }
  if (files.length === 0) throw new HttpError(400, 'no files in the upload');
  return files;
}

/** A raw request body (Content-Type image/*), read into memory up to `limit` bytes. */
export function readRawBody(request: FastifyRequest, limit: number): Promise<Uint8Array> {
  refuseDeclaredLength(request, limit);
  const stream = request.raw;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (error?: Error) => {
      stream.off('data', onData).off('end', onEnd).off('error', finish).off('close', onClose);
      if (error) {
        stream.pause(); // not destroyed: the 413 still has to reach the client
        reject(error);
      } else resolve(Buffer.concat(chunks));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) finish(tooLarge('the request body', limit));
      else chunks.push(chunk);
    };
    const onEnd = () => finish();
    const onClose = () => finish(new HttpError(400, 'the client closed the request before its end'));
    stream.on('data', onData).on('end', onEnd).on('error', finish).on('close', onClose);
  });
}

/** Admits at most `limit` holders at once; the next one gets a 503 at once rather than waiting in memory. */
export function createGate(limit: number): {enter(): () => void} {
  let inUse = 0;
  return {
    enter() {
      if (inUse >= limit)
        throw new HttpError(503, `the server is busy with ${limit} uploads; retry in a moment`, {
          'retry-after': '1',
        });
      inUse++;
      let left = false;
      return () => {
        if (!left) inUse--;
        left = true;
      };
    },
  };
}
