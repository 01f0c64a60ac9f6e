/**
 * The one module that talks to undici. Everything that goes over HTTP (image downloads, model pulls) uses a
 * client from here: one keep-alive connection pool, explicit timeouts, redirects followed by hand so they are
 * counted, bounded and restricted to http(s).
 */
import {createRequire} from 'node:module';
import type {Socket} from 'node:net';
import {Agent, buildConnector} from 'undici';
import {HttpError, toHttpError} from './http-errors.js';

export {HttpError, type NetworkErrorKind, toHttpError} from './http-errors.js';

export interface HttpClientOptions {
  /** Connections per origin; also the pool's bound on parallel requests to one host. */
  connections?: number;
  connectTimeoutMs?: number;
  /** Time allowed from sending the request to receiving the complete response headers. */
  headersTimeoutMs?: number;
  /** Longest silence allowed between two chunks of the body. */
  bodyIdleTimeoutMs?: number;
}

export interface HttpRequest {
  method?: 'GET' | 'HEAD';
  headers?: Record<string, string>;
  signal?: AbortSignal;
  maxRedirects?: number;
  /** Called for every redirect before it is followed, with the headers of the redirecting answer. */
  onRedirect?: (redirect: HttpRedirect) => void;
}

export interface HttpRedirect {
  status: number;
  from: string;
  to: string;
  /** Lower-case header names of the redirecting answer (the Hub puts X-Linked-Etag here). */
  headers: Record<string, string>;
}

/** Credentials never follow a redirect to another origin (the same rule as fetch and curl). */
const CREDENTIAL_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization']);

function withoutCredentials(headers: Record<string, string> | undefined): Record<string, string> | undefined {
  if (headers === undefined) return undefined;
  return Object.fromEntries(
    Object.entries(headers).filter(([name]) => !CREDENTIAL_HEADERS.has(name.toLowerCase())),
  );
}

export interface HttpResponse {
  status: number;
  /** Lower-case header names; repeated headers joined with ', '. */
  headers: Record<string, string>;
  /** The URL that answered, after redirects. */
  url: string;
  redirects: number;
  body: AsyncIterable<Uint8Array>;
  /** Discards the body so the connection can be reused. */
  discard(): Promise<void>;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

export interface HttpClient {
  request(url: string, options?: HttpRequest): Promise<HttpResponse>;
  close(): Promise<void>;
}

export function createHttpClient(options: HttpClientOptions = {}): HttpClient {
  const connector = buildConnector({timeout: options.connectTimeoutMs ?? 10_000});
  const agent = new Agent({
    connections: options.connections ?? 16,
    connect: (connectOptions, callback) =>
      connector(connectOptions, (...result) => {
        if (result[1]) unpauseParserAtEnd(result[1]);
        callback(...result);
      }),
    headersTimeout: options.headersTimeoutMs ?? 30_000,
    bodyTimeout: options.bodyIdleTimeoutMs ?? 30_000,
    keepAliveTimeout: 10_000,
  });

  async function request(url: string, requestOptions: HttpRequest = {}): Promise<HttpResponse> {
    const maxRedirects = requestOptions.maxRedirects ?? 5;
    let current = checkUrl(url);
    let requestHeaders = requestOptions.headers;
    for (let redirects = 0; ; redirects++) {
      let response: Awaited<ReturnType<Agent['request']>>;
      try {
        response = await agent.request({
          origin: current.origin,
          path: `${current.pathname}${current.search}`,
          method: requestOptions.method ?? 'GET',
          headers: {'user-agent': 'visual-cortex', ...requestHeaders},
          signal: requestOptions.signal,
        });
      } catch (error) {
        throw toHttpError(error);
      }
      const headers = flattenHeaders(response.headers);
      const location = headers.location;
      if (REDIRECT_STATUSES.has(response.statusCode) && location !== undefined) {
        await response.body.dump().catch(() => undefined);
        if (redirects >= maxRedirects)
          throw new HttpError(`too many redirects (more than ${maxRedirects})`, 'redirect');
        const next = checkUrl(new URL(location, current).toString());
        requestOptions.onRedirect?.({
          status: response.statusCode,
          from: current.toString(),
          to: next.toString(),
          headers,
        });
        if (next.origin !== current.origin) requestHeaders = withoutCredentials(requestHeaders);
        current = next;
        continue;
      }
      const body = response.body;
      return {
        status: response.statusCode,
        headers,
        url: current.toString(),
        redirects,
        body: wrapBody(body),
        discard: async () => {
          await body.dump().catch(() => undefined);
        },
      };
    }
  }

  return {request, close: () => agent.close()};
}

/** undici's own key for the HTTP/1 parser it hangs on each socket (undefined if a later undici moves it). */
const kParser = ((): symbol | undefined => {
  try {
    return (createRequire(import.meta.url)('undici/lib/core/symbols.js') as {kParser?: symbol}).kParser;
  } catch {
    return undefined;
  }
})();

interface H1Parser {
  paused: boolean;
  statusCode: number;
  shouldKeepAlive: boolean;
  ptr: number | null;
  llhttp: {llhttp_resume(ptr: number): void};
  resume(): void;
}

/**
 * undici 7 kills the process with an uncatchable `assert(!this.paused)` (nodejs/undici#5360) when a server ends or
 * resets a connection that is not kept alive (HTTP/1.0 mirrors such as Python's http.server, `Connection: close`)
 * while the body's backpressure has the parser paused, as a consumer writing to disk leaves it on the last bytes.
 * The fix (undici#5474) is in undici 8, which needs Node 22. Until then the parser is unpaused just before undici
 * sees the end, so that it completes the response, or reports it cut short, as it does when it is not paused.
 */
function unpauseParserAtEnd(socket: Socket): void {
  const unpause = () => {
    const parser = kParser && (socket as unknown as Record<symbol, H1Parser | undefined>)[kParser];
    if (!parser?.paused || !parser.statusCode || parser.shouldKeepAlive) return;
    // Parses what is left: a body with a Content-Length completes here.
    parser.resume();
    // A body that runs to the end of the connection, or was cut short, pauses again on an empty chunk (or the
    // socket is gone): lift the pause without parsing, and undici's finish() completes it or reports it cut short.
    if (parser.paused && parser.statusCode && parser.ptr !== null) {
      parser.llhttp.llhttp_resume(parser.ptr);
      parser.paused = false;
    }
  };
  socket.prependListener('end', unpause);
  socket.prependListener('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'ECONNRESET') unpause();
  });
}

async function* wrapBody(body: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  try {
    for await (const chunk of body) yield chunk;
  } catch (error) {
    throw toHttpError(error);
  }
}

function checkUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new HttpError(`not a valid URL: ${url}`, 'other');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new HttpError(`only http and https URLs are supported, not ${parsed.protocol}`, 'other');
  }
  return parsed;
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}
