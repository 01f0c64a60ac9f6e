/**
 * A local image server with fault injection, for the downloader's tests, the dashboard's e2e test and the
 * benchmark. Listens on 127.0.0.1 with an ephemeral port and serves `count` distinct valid images: a fixture image
 * with a unique comment segment (JPEG COM / PNG tEXt) inserted, so every one has its own SHA-256 yet decodes.
 *
 * Routes (every one also takes ?fault=SPEC[&times=K], or faults come from the `plan` option):
 *   /image/I[.ext]        image I (404 when I >= count)
 *   /W/H                  picsum-style random: the next image in rotation (wraps, so duplicates after count)
 *   /id/I/W/H             picsum by id (404 when I >= count); /seed/S/W/H: image hash(S) mod count
 *   /photos/random?count=K  Unsplash-style JSON (needs `Authorization: Client-ID <unsplashKey>`)
 *   /track/I              Unsplash download_location: 200, counted in hits
 * Fault SPECs: status:CODE (with &retry-after=V), html, slow-headers:MS, slow-body:MS (the image in 8 timed
 *   pieces), stall:BYTES, reset, reset-body:BYTES,
 *   truncate:BYTES (Content-Length says more than is sent), cut:BYTES (a cleanly ended body missing the end),
 *   content-type:VALUE, no-content-type, huge:BYTES (a JPEG-looking body of BYTES), redirect-loop, redirect:N.
 * `times=K` applies the fault to the first K hits of that exact URL only (then the route answers normally).
 */
import {readFileSync} from 'node:fs';
import {createServer, type IncomingMessage, type ServerResponse} from 'node:http';
import type {AddressInfo, Socket} from 'node:net';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';

export const FIXTURE_IMAGES_DIR = fileURLToPath(new URL('../fixtures/images', import.meta.url));

export interface HitInfo {
  /** Path and query, as requested. */
  url: string;
  path: string;
  /** 1 for the first request of this exact url. */
  hit: number;
  total: number;
}

export interface ImageServerOptions {
  /** Distinct images served (default 16). */
  count?: number;
  /** Fixture file name in test/fixtures/images (default photo_640x480.jpg; JPEG or PNG), or bytes. */
  base?: string | Uint8Array;
  /** Pads each JPEG image with comment segments to at least this many bytes. */
  padToBytes?: number;
  /** Returns a fault SPEC for a request (overrides ?fault=), or undefined to answer normally. */
  plan?: (hit: HitInfo) => string | undefined;
  /** Access key the Unsplash-style API accepts. */
  unsplashKey?: string;
}

export interface ImageServer {
  origin: string;
  images: Uint8Array[];
  /** `${origin}/image/${i}.${ext}` for every image. */
  urls: string[];
  /** Requests per exact path+query. */
  hits: Map<string, number>;
  totalHits(): number;
  /** Sum of hits whose path starts with `prefix`. */
  hitsUnder(prefix: string): number;
  close(): Promise<void>;
}

export function makeDistinctImages(base: Uint8Array, count: number, padToBytes = 0): Uint8Array[] {
  return Array.from({length: count}, (_, i) =>
    withComment(base, `visual-cortex test image ${i}`, padToBytes),
  );
}

/** The image with a comment inserted right after its signature/header: still valid, different bytes. */
export function withComment(base: Uint8Array, text: string, padToBytes = 0): Uint8Array {
  const buffer = Buffer.from(base);
  if (buffer[0] === 0xff && buffer[1] === 0xd8) {
    const segments: Buffer[] = [jpegComment(Buffer.from(text))];
    let size = buffer.length + segments[0]!.length;
    while (size < padToBytes) {
      const chunk = Math.min(65_533, Math.max(1, padToBytes - size - 4));
      segments.push(jpegComment(Buffer.alloc(chunk, 0x20)));
      size += chunk + 4;
    }
    return Buffer.concat([buffer.subarray(0, 2), ...segments, buffer.subarray(2)]);
  }
  if (buffer.subarray(1, 4).toString('latin1') === 'PNG') {
    const ihdrEnd = 8 + 8 + buffer.readUInt32BE(8) + 4;
    return Buffer.concat([
      buffer.subarray(0, ihdrEnd),
      pngText(`Comment\0${text}`),
      buffer.subarray(ihdrEnd),
    ]);
  }
  throw new Error('withComment handles JPEG and PNG only');
}

function jpegComment(payload: Buffer): Buffer {
  const header = Buffer.from([0xff, 0xfe, 0, 0]);
  header.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([header, payload]);
}

const CRC_TABLE = Array.from({length: 256}, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function pngText(text: string): Buffer {
  const body = Buffer.concat([Buffer.from('tEXt', 'latin1'), Buffer.from(text, 'latin1')]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length - 4);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

const HTML_PAGE =
  '<!DOCTYPE html><html><head><title>Oops</title></head><body>Rate limit, try later</body></html>';

export async function startImageServer(options: ImageServerOptions = {}): Promise<ImageServer> {
  const count = options.count ?? 16;
  const base =
    typeof options.base === 'string' || options.base === undefined
      ? readFileSync(join(FIXTURE_IMAGES_DIR, options.base ?? 'photo_640x480.jpg'))
      : options.base;
  const images = makeDistinctImages(base, count, options.padToBytes);
  const extension = images[0]![0] === 0xff ? 'jpg' : 'png';
  const contentType = extension === 'jpg' ? 'image/jpeg' : 'image/png';
  const hits = new Map<string, number>();
  const sockets = new Set<Socket>();
  let total = 0;
  let rotation = 0;
  let origin = '';

  const handle = (request: IncomingMessage, response: ServerResponse) => {
    const url = request.url ?? '/';
    const parsed = new URL(url, 'http://localhost');
    const hit = (hits.get(url) ?? 0) + 1;
    hits.set(url, hit);
    total++;
    const times = Number(parsed.searchParams.get('times') ?? Number.POSITIVE_INFINITY);
    const spec =
      options.plan?.({url, path: parsed.pathname, hit, total}) ??
      (hit <= times ? parsed.searchParams.get('fault') : null);
    const parts = parsed.pathname.split('/').filter(Boolean);
    let image: Uint8Array | undefined;
    if (parts[0] === 'image') image = images[Number.parseInt(parts[1] ?? '', 10)];
    else if (parts[0] === 'id') image = images[Number(parts[1])];
    else if (parts[0] === 'seed') image = images[hashString(parts[1] ?? '') % count];
    else if (parts.length === 2 && parts.every((part) => /^\d+$/.test(part)))
      image = images[rotation++ % count];
    else if (parts[0] === 'track') return void response.end();
    else if (parts[0] === 'photos' && parts[1] === 'random') {
      if (request.headers.authorization !== `Client-ID ${options.unsplashKey}`) {
        response.statusCode = 401;
        return void response.end('{"errors":["OAuth error: The access token is invalid"]}');
      }
      const wanted = Number(parsed.searchParams.get('count') ?? 1);
      const photos = Array.from({length: wanted}, () => {
        const i = rotation++ % count;
        return {
          id: `p${i}`,
          urls: {raw: `${origin}/image/${i}.${extension}?ixid=t${i}`},
          links: {download_location: `${origin}/track/${i}`},
        };
      });
      response.setHeader('content-type', 'application/json');
      return void response.end(JSON.stringify(photos));
    }
    if (spec) return applyFault(spec, parsed, request, response, image ?? images[0]!, contentType);
    if (!image) {
      response.statusCode = 404;
      return void response.end('not found');
    }
    response.setHeader('content-type', contentType);
    response.setHeader('content-length', image.length);
    response.end(image);
  };

  const server = createServer(handle);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    images,
    urls: images.map((_, i) => `${origin}/image/${i}.${extension}`),
    hits,
    totalHits: () => total,
    hitsUnder: (prefix) =>
      [...hits].filter(([url]) => url.startsWith(prefix)).reduce((sum, [, n]) => sum + n, 0),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function hashString(text: string): number {
  let hash = 0;
  for (const char of text) hash = (Math.imul(hash, 31) + char.charCodeAt(0)) >>> 0;
  return hash;
}

function applyFault(
  spec: string,
  parsed: URL,
  request: IncomingMessage,
  response: ServerResponse,
  image: Uint8Array,
  contentType: string,
): void {
  const [mode, rawArg = ''] = spec.split(/:(.*)/s);
  const arg = Number(rawArg);
  const sendImage = (type: string | null) => {
    if (type !== null) response.setHeader('content-type', type);
    response.setHeader('content-length', image.length);
    response.end(image);
  };
  switch (mode) {
    case 'status': {
      response.statusCode = arg;
      const retryAfter = parsed.searchParams.get('retry-after');
      if (retryAfter !== null) response.setHeader('retry-after', retryAfter);
      response.end(`status ${arg}`);
      return;
    }
    case 'html':
      response.setHeader('content-type', 'image/jpeg');
      response.end(HTML_PAGE);
      return;
    case 'slow-headers': {
      const timer = setTimeout(() => sendImage(contentType), arg);
      request.socket.on('close', () => clearTimeout(timer));
      return;
    }
    case 'stall':
      response.setHeader('content-type', contentType);
      response.setHeader('content-length', image.length);
      response.write(image.subarray(0, arg)); // then nothing until the client gives up
      return;
    case 'slow-body': {
      // The whole image, in 8 pieces spread over MS milliseconds: visible progress for dashboards.
      response.setHeader('content-type', contentType);
      response.setHeader('content-length', image.length);
      const pieces = 8;
      const size = Math.ceil(image.length / pieces);
      let piece = 0;
      const timer = setInterval(() => {
        if (response.destroyed) return clearInterval(timer);
        response.write(image.subarray(piece * size, (piece + 1) * size));
        if (++piece === pieces) {
          clearInterval(timer);
          response.end();
        }
      }, arg / pieces);
      request.socket.on('close', () => clearInterval(timer));
      return;
    }
    case 'reset':
      request.socket.destroy();
      return;
    case 'reset-body':
      response.setHeader('content-type', contentType);
      response.setHeader('content-length', image.length);
      response.write(image.subarray(0, arg), () => request.socket.destroy());
      return;
    case 'truncate':
      response.setHeader('content-type', contentType);
      response.setHeader('content-length', image.length);
      response.write(image.subarray(0, arg), () => request.socket.end());
      return;
    case 'cut':
      response.setHeader('content-type', contentType);
      response.end(image.subarray(0, arg));
      return;
    case 'content-type':
      sendImage(rawArg);
      return;
    case 'no-content-type':
      sendImage(null);
      return;
    case 'huge': {
      response.setHeader('content-type', contentType);
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      response.write(image.subarray(0, 2));
      let sent = 2;
      const pump = () => {
        while (sent < arg && !response.destroyed) {
          const piece = chunk.subarray(0, Math.min(chunk.length, arg - sent));
          sent += piece.length;
          if (!response.write(piece)) return void response.once('drain', pump);
        }
        if (!response.destroyed) response.end();
      };
      pump();
      return;
    }
    case 'redirect-loop':
      response.statusCode = 302;
      response.setHeader('location', `${parsed.pathname}${parsed.search}`);
      response.end();
      return;
    case 'redirect': {
      response.statusCode = 302;
      const next = new URL(parsed.toString());
      if (arg > 1) next.searchParams.set('fault', `redirect:${arg - 1}`);
      else next.searchParams.delete('fault');
      response.setHeader('location', `${next.pathname}${next.search}`);
      response.end();
      return;
    }
    default:
      response.statusCode = 400;
      response.end(`unknown fault ${spec}`);
  }
}
