import {openEmbeddingCache, resolveCachePath} from '../core/cache/embedding-cache.js';
import {UserError} from '../core/errors.js';
import {resolveModelsDir} from '../core/model/model-folder.js';
import {INDEX_CHOICES, type IndexChoice} from '../core/search/searcher.js';
import {buildServer} from '../server/app.js';
import {openCollectionBackend} from '../server/collection-backend.js';
import {isAllowableHostName} from '../server/host-check.js';
import {defineCommand} from './command.js';
import {EXIT} from './exit-codes.js';
import {embeddingsFlag} from './options/folders.js';
import {printJson, printLine} from './output.js';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

export const serveCommand = defineCommand({
  name: 'serve',
  summary: 'REST API and web UI over the embeddings',
  usage: `
  Usage
    $ visual-cortex serve [--embeddings data/embeddings] [--model M] [--host 127.0.0.1] [--port 8787] [--token T]
                          [--allow-host NAME]

  Options
    --embeddings DIR the embeddings folder (default data/embeddings)
    --model M        model for queries (default: the one in metadata.json)
    --host HOST      address to bind (default 127.0.0.1); any other address needs --token
    --port N         port (default 8787; 0 picks a free one)
    --token T        require "Authorization: Bearer T" on the API (or $VISUAL_CORTEX_TOKEN);
                     uploads (POST /api/embed) are refused without one
    --allow-host N   also answer requests addressed to host name N (repeat or comma-separate;
                     .example.com allows it and its subdomains); needed behind a reverse proxy
    --index I        auto | exact | hnsw (default auto)
    --max-k N        largest k a client may ask for (default 100)
    --no-cache       embed uploads without the embedding cache
    --cache-file F   the embedding cache (default ~/.cache/visual-cortex/embeddings.sqlite)

  Examples
    $ visual-cortex serve
    $ visual-cortex serve --host 0.0.0.0 --token "$(openssl rand -hex 16)"
`,
  flags: {
    embeddingsDir: embeddingsFlag('dir'),
    model: {type: 'string'},
    host: {type: 'string', default: '127.0.0.1'},
    port: {type: 'number', default: 8787},
    token: {type: 'string'},
    allowHost: {type: 'string', isMultiple: true},
    index: {type: 'string', default: 'auto'},
    maxK: {type: 'number', default: 100},
    cache: {type: 'boolean', default: true},
    cacheFile: {type: 'string'},
  },
  async run({flags, io, signal, env}) {
    const token = flags.token ?? env.VISUAL_CORTEX_TOKEN;
    if (!LOOPBACK.has(flags.host) && !token) {
      throw new UserError(
        `binding to ${flags.host} would expose the API beyond this machine without a token`,
        'add --token SECRET (clients send "Authorization: Bearer SECRET"), or keep the default --host 127.0.0.1',
      );
    }
    if (!Number.isInteger(flags.port) || flags.port < 0 || flags.port > 65535) {
      throw new UserError(
        `--port must be a whole number from 0 to 65535, got ${flags.port}`,
        'use --port 8787',
      );
    }
    if (!Number.isInteger(flags.maxK) || flags.maxK < 1 || flags.maxK > 10_000) {
      throw new UserError(
        `--max-k must be a whole number from 1 to 10000, got ${flags.maxK}`,
        'use --max-k 100',
      );
    }
    const allowHosts = (flags.allowHost ?? [])
      .flatMap((entry) => entry.split(','))
      .map((name) => name.trim());
    for (const name of allowHosts) {
      if (!isAllowableHostName(name))
        throw new UserError(
          `--allow-host '${name}' is not a host name`,
          'give a name without scheme, port or path, e.g. --allow-host photos.example.com (or .example.com)',
        );
    }
    if (!INDEX_CHOICES.includes(flags.index as IndexChoice)) {
      throw new UserError(`unknown --index '${flags.index}'`, `use one of ${INDEX_CHOICES.join(', ')}`);
    }
    const cache = flags.cache ? openEmbeddingCache(resolveCachePath(flags.cacheFile, env)) : undefined;
    let backend: Awaited<ReturnType<typeof openCollectionBackend>>;
    try {
      backend = await openCollectionBackend({
        embeddingsDir: flags.embeddingsDir,
        modelsDir: resolveModelsDir(flags.modelsDir, env),
        model: flags.model,
        index: flags.index as IndexChoice,
        cache,
      });
    } catch (error) {
      cache?.close();
      throw error;
    }
    const server = await buildServer({
      backend,
      token,
      bind: flags.host,
      allowHosts,
      maxK: flags.maxK,
      logError: (line) => io.stderr.write(`${line}\n`),
    });
    try {
      const address = await server
        .listen({host: flags.host, port: flags.port})
        .catch((error: NodeJS.ErrnoException) => {
          if (error.code === 'EADDRINUSE')
            throw new UserError(
              `port ${flags.port} is already in use`,
              'pick another with --port N (0 = any free port)',
            );
          throw error;
        });
      const stats = backend.stats();
      if (flags.json) printJson(io, {url: address, ...stats, auth: Boolean(token), uploads: Boolean(token)});
      else {
        printLine(
          io,
          `serving ${stats.count} images (${stats.model}, ${stats.dtype}, ${stats.dims}-d, ${stats.index} search)`,
        );
        printLine(io, `web UI and API at ${address}${token ? '  (bearer token required)' : ''}`);
        if (!token) printLine(io, 'uploads (POST /api/embed) are off: start with --token T to accept them');
        printLine(io, 'press Ctrl+C to stop');
      }
      await new Promise<void>((resolveStop) => {
        if (signal.aborted) resolveStop();
        signal.addEventListener('abort', () => resolveStop(), {once: true});
      });
      return EXIT.done;
    } finally {
      await server.close();
    }
  },
});
