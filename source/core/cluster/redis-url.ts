/** The --redis URL: parsed and checked before anything connects, so a typo is a clear error, not a hang. */
import {UserError} from '../errors.js';

export const REDIS_URL_ENV = 'VISUAL_CORTEX_REDIS_URL';
const EXAMPLE = 'redis://127.0.0.1:6379';

export interface RedisAddress {
  /** The URL as given (it may hold a password: never print it). */
  url: string;
  host: string;
  port: number;
  db: number;
  tls: boolean;
  /** host:port (and /db when not 0), safe to print. */
  display: string;
}

/** The URL from --redis, else $VISUAL_CORTEX_REDIS_URL; a UserError with the fix when neither is given. */
export function redisUrlFrom(flag: string | undefined, env: NodeJS.ProcessEnv): RedisAddress {
  const text = flag?.trim() || env[REDIS_URL_ENV]?.trim();
  if (!text) {
    throw new UserError(
      'the cluster commands need a Redis server',
      `pass --redis ${EXAMPLE} (or set ${REDIS_URL_ENV}); start one with 'redis-server --port 6379'`,
    );
  }
  return parseRedisUrl(text);
}

export function parseRedisUrl(text: string): RedisAddress {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    throw new UserError(
      `not a Redis URL: '${text}'`,
      `write it as ${EXAMPLE} (redis:// or rediss:// for TLS)`,
    );
  }
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    throw new UserError(`not a Redis URL: '${redact(text)}'`, `write it as ${EXAMPLE}`);
  }
  const scheme = parsed.protocol.slice(0, -1).toLowerCase();
  if (scheme !== 'redis' && scheme !== 'rediss') {
    throw new UserError(
      `unsupported scheme '${scheme}://' in the Redis URL`,
      `use redis:// (or rediss:// for TLS), e.g. ${EXAMPLE}`,
    );
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw new UserError('the Redis URL has no host', `write it as ${EXAMPLE}`);
  const port = parsed.port === '' ? 6379 : Number(parsed.port);
  const dbText = parsed.pathname.replace(/^\//, '');
  if (dbText !== '' && !/^\d{1,2}$/.test(dbText)) {
    throw new UserError(
      `'/${dbText}' is not a Redis database number`,
      `end the URL with a database number such as /0, or with nothing: ${EXAMPLE}`,
    );
  }
  const db = dbText === '' ? 0 : Number(dbText);
  const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return {
    url: text,
    host,
    port,
    db,
    tls: scheme === 'rediss',
    display: db === 0 ? address : `${address}/${db}`,
  };
}

/** The URL without its password, for messages. */
function redact(text: string): string {
  return text.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}
