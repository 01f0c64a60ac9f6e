/**
 * One attempt at one URL: request, body read under a size cap and a total deadline, every failure mapped to a
 * FailureReason. Never throws for network trouble; an abort of the run is reported as such.
 */
import {readFile, stat} from 'node:fs/promises';
import {type HttpClient, type HttpError, toHttpError} from '../net/http.js';
import {parseRetryAfter, reasonForStatus} from './retry-policy.js';
import type {FailureReason} from './types.js';

export type AttemptResult =
  | {ok: true; bytes: Uint8Array}
  | {ok: false; aborted: true}
  | {
      ok: false;
      aborted: false;
      reason: FailureReason;
      message: string;
      status?: number;
      retryAfterMs: number | null;
    };

export interface AttemptOptions {
  signal: AbortSignal;
  attemptTimeoutMs: number;
  maxBytes: number;
  maxRedirects: number;
  onBytes: (received: number, total: number | null) => void;
}

function failure(
  reason: FailureReason,
  message: string,
  extra: {status?: number; retryAfterMs?: number | null} = {},
): AttemptResult {
  return {
    ok: false,
    aborted: false,
    reason,
    message,
    status: extra.status,
    retryAfterMs: extra.retryAfterMs ?? null,
  };
}

export async function fetchAttempt(
  client: HttpClient,
  url: string,
  options: AttemptOptions,
): Promise<AttemptResult> {
  if (options.signal.aborted) return {ok: false, aborted: true};
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, options.attemptTimeoutMs);
  const onAbort = () => controller.abort();
  options.signal.addEventListener('abort', onAbort, {once: true});
  let received = 0;
  let total: number | null = null;
  const networkFailure = (error: unknown): AttemptResult => {
    if (options.signal.aborted) return {ok: false, aborted: true};
    if (timedOut) return failure('timeout', `no complete answer within ${options.attemptTimeoutMs} ms`);
    const httpError = toHttpError(error);
    if (total !== null && received < total && httpError.kind !== 'timeout') {
      return failure('truncated', `body ended after ${received} of ${total} bytes`);
    }
    return failure(reasonForNetworkError(httpError), httpError.message);
  };
  try {
    let response: Awaited<ReturnType<HttpClient['request']>>;
    try {
      response = await client.request(url, {signal: controller.signal, maxRedirects: options.maxRedirects});
    } catch (error) {
      return networkFailure(error);
    }
    if (response.status < 200 || response.status >= 300) {
      await response.discard(); // reads (a bounded part of) the error body so the connection can be reused
      const retryAfterMs =
        response.status === 429 || response.status === 503
          ? parseRetryAfter(response.headers['retry-after'], Date.now())
          : null;
      return failure(reasonForStatus(response.status), `HTTP ${response.status}`, {
        status: response.status,
        retryAfterMs,
      });
    }
    const length = response.headers['content-length'];
    total = length !== undefined && /^\d+$/.test(length) ? Number(length) : null;
    if (total !== null && total > options.maxBytes) {
      controller.abort();
      return failure('too-large', `Content-Length ${total} is over the ${options.maxBytes}-byte limit`);
    }
    options.onBytes(0, total);
    const chunks: Uint8Array[] = [];
    try {
      for await (const chunk of response.body) {
        received += chunk.length;
        if (received > options.maxBytes) {
          controller.abort();
          return failure('too-large', `body is over the ${options.maxBytes}-byte limit`);
        }
        chunks.push(chunk);
        options.onBytes(received, total);
      }
    } catch (error) {
      return networkFailure(error);
    }
    if (total !== null && received < total)
      return failure('truncated', `body ended after ${received} of ${total} bytes`);
    return {ok: true, bytes: Buffer.concat(chunks)};
  } finally {
    clearTimeout(timer);
    options.signal.removeEventListener('abort', onAbort);
  }
}

function reasonForNetworkError(error: HttpError): FailureReason {
  switch (error.kind) {
    case 'timeout':
      return 'timeout';
    case 'reset':
      return 'reset';
    case 'connect':
      return 'connect';
    case 'redirect':
      return 'redirect';
    default:
      return /valid URL|only http and https/.test(error.message) ? 'bad-url' : 'network';
  }
}

/** The local provider's "attempt": a file read, size-checked before reading. */
export async function readLocalAttempt(path: string, maxBytes: number): Promise<AttemptResult> {
  try {
    const info = await stat(path);
    if (info.size > maxBytes)
      return failure('too-large', `${info.size} bytes is over the ${maxBytes}-byte limit`);
    return {ok: true, bytes: await readFile(path)};
  } catch (error) {
    return failure('read-error', error instanceof Error ? error.message : String(error));
  }
}
