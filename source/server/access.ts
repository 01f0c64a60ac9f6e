/**
 * Who may reach what. Every check judges the route the router chose (its `access` config) and the request's
 * headers, never the raw URL, so no spelling of a path (%61pi, //api, /API) reaches a route without its check.
 */
import {createHash, timingSafeEqual} from 'node:crypto';
import type {FastifyRequest} from 'fastify';
import {HttpError} from './http-error.js';

/**
 * public: anyone; read: the token when the server has one; image: read, and the token may come as `?token=`
 * (so <img> tags work); write: a token always, so a server started without one takes no writes.
 */
export type Access = 'public' | 'read' | 'image' | 'write';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
}

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/** Throws the 401/403 a request gets for its route, or returns when it may go on. */
export function authorise(request: FastifyRequest, token: string | undefined): void {
  if (request.is404) return; // nothing is there to protect; the 404 names nothing
  // A route without an access level is protected: forgetting to mark one must fail closed.
  const access = request.routeOptions.config.access ?? 'write';
  if (access === 'public') return;
  if (token === undefined) {
    if (access !== 'write') return;
    throw new HttpError(
      403,
      'this server takes no uploads: it was started without a token (restart it with serve --token T and send "Authorization: Bearer T")',
    );
  }
  const header = /^Bearer +(\S+) *$/i.exec(request.headers.authorization ?? '')?.[1];
  const query = access === 'image' ? (request.query as {token?: unknown}).token : undefined;
  const presented = header ?? (typeof query === 'string' ? query : undefined);
  // Equal-length digests compared in constant time: neither the length nor a prefix of the token leaks.
  if (presented === undefined || !timingSafeEqual(digest(presented), digest(token)))
    throw new HttpError(401, 'missing or wrong bearer token (send "Authorization: Bearer T")');
}

/** Browsers attach Origin (and Sec-Fetch-Site) to every request that may change state; curl sends neither. */
export function refuseCrossOrigin(request: FastifyRequest): void {
  if (request.method === 'GET' || request.method === 'HEAD') return;
  const site = request.headers['sec-fetch-site'];
  const origin = request.headers.origin;
  const own = (): boolean => {
    try {
      const url = new URL(origin!);
      return (
        (url.protocol === 'http:' || url.protocol === 'https:') &&
        url.host === new URL(`http://${request.headers.host}`).host
      );
    } catch {
      return false;
    }
  };
  if ((site !== undefined && site !== 'same-origin' && site !== 'none') || (origin !== undefined && !own()))
    throw new HttpError(
      403,
      `cross-origin ${request.method} refused: this API takes writes from its own page only`,
    );
}
