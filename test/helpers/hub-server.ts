/**
 * A fake Hugging Face Hub on 127.0.0.1 for tests: serves folders (test/fixtures/tiny-clip by default) at
 * `/{owner}/{repo}/resolve/{revision}/{path}` the way the Hub does. Small files come straight back with
 * `ETag: "<git blob sha1>"`; LFS files (*.onnx, *.safetensors) get a 302 carrying `X-Linked-Etag: "<sha256>"`,
 * `X-Linked-Size` and `X-Repo-Commit` to a second server on another port (the "CDN"), which serves the bytes
 * with Range support. Misbehaviour is switched on per test through `hub.faults`; every request is logged.
 */
import {createHash} from 'node:crypto';
import {readFileSync, statSync} from 'node:fs';
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http';
import type {AddressInfo} from 'node:net';
import {join, resolve} from 'node:path';

export const TINY_CLIP_DIR = resolve('test/fixtures/tiny-clip');
export const FAKE_COMMIT = 'c0ffee0123456789abcdef0123456789abcdef01';

export interface HubFaults {
  /** Cut the connection after this many body bytes of the file (repo-relative path), this many times. */
  resetMidFile?: {
    path: string;
    afterBytes: number;
    times: number;
    /**
     * Awaited before the cut instead of a fixed 20 ms, e.g. until the client has written the bytes it was sent:
     * a loaded machine can take longer than that, and the bytes still unread at the cut are lost to the client.
     */
    beforeCut?: () => Promise<void>;
  };
  /** Advertise a wrong checksum for these paths. */
  wrongChecksum?: Set<string>;
  /** Answer 404 EntryNotFound for these paths. */
  missing?: Set<string>;
  /** Require `Authorization: Bearer <token>` on the Hub (answers 401 otherwise). */
  requireToken?: string;
  /** Answer 503 this many times before serving. */
  unavailableTimes?: number;
  /**
   * Close the connection after every answer (`Connection: close`), as HTTP/1.0 mirrors such as Python's
   * http.server do: the client's parser then meets the end of the socket right after the body.
   */
  closeConnections?: boolean;
}

export interface LoggedRequest {
  server: 'hub' | 'cdn';
  method: string;
  url: string;
  range: string | undefined;
  authorization: string | undefined;
}

export interface FakeHub {
  /** Use as HF_ENDPOINT. */
  endpoint: string;
  cdnOrigin: string;
  faults: HubFaults;
  requests: LoggedRequest[];
  close(): Promise<void>;
}

interface RepoFile {
  bytes: Buffer;
  sha256: string;
  gitSha1: string;
  lfs: boolean;
}

export async function startFakeHub(
  options: {repos?: Record<string, string>; faults?: HubFaults} = {},
): Promise<FakeHub> {
  const repos = options.repos ?? {
    'Xenova/clip-vit-base-patch32': TINY_CLIP_DIR,
    'Xenova/clip-vit-base-patch16': TINY_CLIP_DIR,
    'Xenova/clip-vit-large-patch14': TINY_CLIP_DIR,
    'test-org/tiny-clip': TINY_CLIP_DIR,
  };
  const requests: LoggedRequest[] = [];
  const faults: HubFaults = options.faults ?? {};
  const blobs = new Map<string, {file: RepoFile; path: string}>();

  // Read and hashed once per file version: a test may serve a file of several hundred MB many times.
  const readFiles = new Map<string, {version: string; file: RepoFile}>();
  const readRepoFile = (dir: string, path: string): RepoFile | null => {
    const full = join(dir, path);
    const info = full.startsWith(dir) ? statSync(full, {throwIfNoEntry: false}) : undefined;
    if (!info?.isFile()) return null;
    const version = `${info.size}:${info.mtimeMs}`;
    const known = readFiles.get(full);
    if (known?.version === version) return known.file;
    const bytes = readFileSync(full);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const gitSha1 = createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
    const file = {bytes, sha256, gitSha1, lfs: /\.(onnx|safetensors)$/.test(path)};
    readFiles.set(full, {version, file});
    return file;
  };

  const log = (server: 'hub' | 'cdn', req: IncomingMessage) =>
    requests.push({
      server,
      method: req.method ?? 'GET',
      url: req.url ?? '',
      range: req.headers.range,
      authorization: req.headers.authorization,
    });

  const cdn = createServer((req, res) => {
    log('cdn', req);
    const match = /^\/blobs\/([0-9a-f]{64})\?/.exec(req.url ?? '');
    const blob = match?.[1] ? blobs.get(match[1]) : undefined;
    if (!blob) return end(res, 403, {}, 'bad signature');
    serveBytes(req, res, blob.file.bytes, blob.path, {etag: `"${md5(blob.file.bytes)}"`});
  });

  const hub = createServer((req, res) => {
    log('hub', req);
    const match = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(req.url ?? '');
    if (!match) return end(res, 404, {'x-error-code': 'RepoNotFound'}, 'not found');
    const [, repo = '', revision = '', encodedPath = ''] = match;
    const path = decodeURIComponent(encodedPath);
    if (faults.requireToken && req.headers.authorization !== `Bearer ${faults.requireToken}`) {
      return end(
        res,
        401,
        {'x-error-code': 'RepoNotFound', 'x-error-message': 'Invalid credentials'},
        'unauthorised',
      );
    }
    if (faults.unavailableTimes && faults.unavailableTimes > 0) {
      faults.unavailableTimes--;
      return end(res, 503, {}, 'try later');
    }
    const dir = repos[repo];
    if (!dir) return end(res, 404, {'x-error-code': 'RepoNotFound'}, 'no such repo');
    const decodedRevision = decodeURIComponent(revision);
    if (decodedRevision !== 'main' && decodedRevision !== FAKE_COMMIT) {
      return end(res, 404, {'x-error-code': 'RevisionNotFound'}, 'no such revision');
    }
    const file = faults.missing?.has(path) ? null : readRepoFile(dir, path);
    if (!file)
      return end(res, 404, {'x-error-code': 'EntryNotFound', 'x-repo-commit': FAKE_COMMIT}, 'no entry');
    const wrong = faults.wrongChecksum?.has(path);
    if (file.lfs) {
      const sha256 = wrong ? 'f'.repeat(64) : file.sha256;
      blobs.set(file.sha256, {file, path});
      // The real redirect's ETag is the LFS pointer's git id, not the content hash: clients must prefer X-Linked-Etag.
      return end(
        res,
        302,
        {
          location: `${cdnOrigin}/blobs/${file.sha256}?X-Signature=abc123&Expires=9999999999`,
          'x-linked-etag': `"${sha256}"`,
          'x-linked-size': String(file.bytes.length),
          'x-repo-commit': FAKE_COMMIT,
          etag: `"${'1'.repeat(40)}"`,
        },
        '',
      );
    }
    serveBytes(req, res, file.bytes, path, {
      etag: `"${wrong ? '0'.repeat(40) : file.gitSha1}"`,
      'x-repo-commit': FAKE_COMMIT,
    });
  });

  const serveBytes = (
    req: IncomingMessage,
    res: ServerResponse,
    bytes: Buffer,
    path: string,
    headers: Record<string, string>,
  ) => {
    let start = 0;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (range?.[1] !== undefined) {
      start = Number(range[1]);
      if (start >= bytes.length) {
        return end(res, 416, {'content-range': `bytes */${bytes.length}`}, '');
      }
    }
    const body = bytes.subarray(start);
    res.writeHead(range ? 206 : 200, {
      ...headers,
      ...(faults.closeConnections ? {connection: 'close'} : {}),
      'content-type': 'application/octet-stream',
      'content-length': String(body.length),
      'accept-ranges': 'bytes',
      ...(range ? {'content-range': `bytes ${start}-${bytes.length - 1}/${bytes.length}`} : {}),
    });
    if (req.method === 'HEAD') return res.end();
    const reset = faults.resetMidFile;
    if (reset && reset.path === path && reset.times > 0 && body.length > reset.afterBytes) {
      reset.times--;
      res.write(body.subarray(0, reset.afterBytes), () => {
        // Give the bytes time to leave, then cut the connection as a flaky network would.
        const cut = () => res.socket?.destroy();
        if (reset.beforeCut) reset.beforeCut().then(cut, cut);
        else setTimeout(cut, 20);
      });
      return;
    }
    res.end(body);
  };

  const hubOrigin = await listen(hub);
  const cdnOrigin = await listen(cdn);
  return {
    endpoint: hubOrigin,
    cdnOrigin,
    faults,
    requests,
    close: async () => {
      await Promise.all([closeServer(hub), closeServer(cdn)]);
    },
  };
}

function end(res: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  res.writeHead(status, {
    'content-type': 'text/plain',
    'content-length': String(Buffer.byteLength(body)),
    ...headers,
  });
  res.end(body);
}

function md5(bytes: Buffer): string {
  return createHash('md5').update(bytes).digest('hex');
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((done) => server.close(() => done()));
}
