/**
 * A minimal keep-alive HTTP server on 127.0.0.1 that serves images from memory, so the downloader benchmark
 * measures the clients, not the disk or the server. Runs in the bench process; the clients are child processes.
 */
import {createServer, type Server} from 'node:http';
import type {AddressInfo} from 'node:net';

export interface ImageServer {
  urls: string[];
  requests(): number;
  close(): Promise<void>;
}

/** `latencyMs` delays each response, like a server across a network (0: raw loopback, the hardest case). */
export async function startImageServer(images: readonly Buffer[], latencyMs = 0): Promise<ImageServer> {
  let requests = 0;
  const server: Server = createServer((request, response) => {
    requests++;
    const match = /^\/images\/(\d+)\.jpg$/.exec(request.url ?? '');
    const body = match ? images[Number(match[1])] : undefined;
    if (!body) {
      response.writeHead(404, {'content-type': 'text/plain'}).end('not found');
      return;
    }
    const send = () =>
      response.writeHead(200, {'content-type': 'image/jpeg', 'content-length': body.length}).end(body);
    if (latencyMs > 0) setTimeout(send, latencyMs);
    else send();
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const {port} = server.address() as AddressInfo;
  return {
    urls: images.map((_, index) => `http://127.0.0.1:${port}/images/${index}.jpg`),
    requests: () => requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
