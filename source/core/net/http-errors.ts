/**
 * The errors of http.ts: undici's and Node's network errors mapped onto the few kinds that retry policies care
 * about. Apart from the client so that the mapping reads on its own; it only reads error codes and names.
 */

export type NetworkErrorKind = 'aborted' | 'timeout' | 'reset' | 'connect' | 'redirect' | 'other';

export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    message: string,
    readonly kind: NetworkErrorKind,
  ) {
    super(message);
  }
}

const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/** Maps undici's and Node's network errors onto the few kinds that retry policies care about. */
export function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  const code = (error as {code?: string} | undefined)?.code ?? '';
  const name = (error as {name?: string} | undefined)?.name ?? '';
  const message = error instanceof Error ? error.message : String(error);
  if (name === 'AbortError' || code === 'ABORT_ERR' || code === 'UND_ERR_ABORTED') {
    return new HttpError('aborted', 'aborted');
  }
  // No connection was made: the host is unreachable rather than slow.
  if (code === 'UND_ERR_CONNECT_TIMEOUT')
    return new HttpError(`cannot connect (timed out, ${code})`, 'connect');
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return new HttpError(`timed out (${code})`, 'timeout');
  }
  if (
    code === 'ECONNRESET' ||
    code === 'EPIPE' ||
    code === 'UND_ERR_SOCKET' ||
    code === 'UND_ERR_CLOSED' ||
    // The connection ended before the body did.
    code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH' ||
    (name === 'HTTPParserError' && /invalid EOF state/i.test(message))
  ) {
    return new HttpError(`connection reset (${message})`, 'reset');
  }
  if (CONNECT_CODES.has(code)) {
    return new HttpError(`cannot connect (${code})`, 'connect');
  }
  return new HttpError(message, 'other');
}
