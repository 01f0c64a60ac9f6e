/** Child processes for the cluster tests: fake workers and the real CLI, with their output and exit awaited. */
import {type ChildProcess, spawn} from 'node:child_process';
import {fileURLToPath} from 'node:url';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const fakeWorker = fileURLToPath(new URL('./children/fake-worker.ts', import.meta.url));

export interface Child {
  process: ChildProcess;
  pid: number;
  /** stdout and stderr so far. */
  output(): string;
  /** Resolves with the first match of pattern in the output (now or later); rejects after timeoutMs. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<number | null>;
}

function track(child: ChildProcess): Child {
  let text = '';
  const waiters = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    text += chunk.toString();
    for (const waiter of waiters) waiter();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    process: child,
    pid: child.pid ?? -1,
    output: () => text,
    exited,
    waitFor(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = text.match(pattern);
          if (!match) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(match);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no ${pattern} in the output within ${timeoutMs} ms:\n${text}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
}

export function startFakeWorker(options: {markers: string; msPerImage: number; args: string[]}): Child {
  return track(
    spawn(process.execPath, ['--import', 'tsx', fakeWorker, JSON.stringify(options)], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
}

export function startCli(args: string[], env: NodeJS.ProcessEnv = {}): Child {
  return track(
    spawn(process.execPath, ['--import', 'tsx', 'source/cli.tsx', ...args], {
      cwd: repoRoot,
      env: {...process.env, ...env},
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
}
