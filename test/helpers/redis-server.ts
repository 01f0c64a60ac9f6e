/**
 * A real Redis for the cluster tests: Debian's `redis-server` on a free 127.0.0.1 port with a temporary directory,
 * no persistence of its own, stopped (and restartable on the same port, data kept) by the test. Where the binary
 * is missing the test is skipped; CI installs it and sets VC_TEST_REQUIRE_REDIS, so there a missing one fails.
 */
import assert from 'node:assert/strict';
import {type ChildProcess, spawn, spawnSync} from 'node:child_process';
import {mkdtemp, rm} from 'node:fs/promises';
import {createServer, Socket} from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

export interface RedisServer {
  port: number;
  url: string;
  dir: string;
  /** Runs redis-cli against the server and returns its stdout (trimmed). */
  cli(...args: string[]): string;
  /** Saves the data set to the temp dir as it stops the server (SHUTDOWN SAVE), and waits for its exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port and dir (the saved data comes back) and waits until PING answers. */
  start(): Promise<void>;
  /** Stops it for good and removes the temp dir. */
  close(): Promise<void>;
}

function commandExists(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
}

/** The server, or undefined after skipping the test where redis-server is not installed. */
export async function startRedisOrSkip(t: {
  skip: (message: string) => void;
}): Promise<RedisServer | undefined> {
  if (!commandExists('redis-server') || !commandExists('redis-cli')) {
    assert.ok(
      !process.env.VC_TEST_REQUIRE_REDIS,
      'redis-server is required here (apt-get install redis-server)',
    );
    t.skip('redis-server is not installed (apt-get install redis-server)');
    return undefined;
  }
  return startRedisServer();
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const {port} = server.address() as {port: number};
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

export async function startRedisServer(): Promise<RedisServer> {
  const dir = await mkdtemp(join(tmpdir(), 'vc-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  let log = '';

  const start = async () => {
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'no',
    ];
    child = spawn('redis-server', args, {stdio: ['ignore', 'pipe', 'pipe']});
    child.stdout?.on('data', (chunk: Buffer) => {
      log += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      log += chunk.toString();
    });
    const deadline = Date.now() + 10_000;
    while (!(await answersPing(port))) {
      if (child.exitCode !== null || Date.now() > deadline)
        throw new Error(`redis-server did not start on port ${port}:\n${log}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  const stop = async () => {
    const running = child;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    // --save '' keeps Redis from saving on its own; a restart test wants the queue back, so the shutdown saves.
    spawnSync('redis-cli', ['-p', String(port), 'SHUTDOWN', 'SAVE']);
    if (running.exitCode === null) running.kill('SIGTERM');
    await exited;
  };

  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    cli: (...args) => spawnSync('redis-cli', ['-p', String(port), ...args], {encoding: 'utf8'}).stdout.trim(),
    stop,
    start,
    async close() {
      await stop();
      await rm(dir, {recursive: true, force: true});
    },
  };
}
