/**
 * Each contender runs in its own Node process, so its peak RSS is its own and no contender inherits another's
 * heap, thread pools or page cache warm-up inside the same address space.
 * Protocol: the child gets one JSON argument and prints one line `RESULT <json>` on stdout.
 */
import {spawn} from 'node:child_process';
import {fileURLToPath} from 'node:url';

const RESULT_PREFIX = 'RESULT ';

export function childScript(name: string): string {
  return fileURLToPath(new URL(`./child/${name}.ts`, import.meta.url));
}

export interface ChildRun<T> {
  result: T;
  /** Wall time of the whole child, start-up and model load included. */
  wallMs: number;
}

export async function runChild<T>(
  script: string,
  input: unknown,
  options: {timeoutMs: number; env?: NodeJS.ProcessEnv; log?: (line: string) => void},
): Promise<ChildRun<T>> {
  const started = performance.now();
  // The input goes on stdin: a long one on the command line (the overlap experiment's 320 absolute paths, 17 KB)
  // crashed the child with SIGSEGV once it started onnxruntime in a worker thread.
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: {...process.env, ...options.env},
  });
  child.stdin.end(JSON.stringify(input));
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    stdout += text;
  });
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    stderr += text;
    for (const line of text.split('\n')) if (line.trim()) options.log?.(line);
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  }).finally(() => clearTimeout(timer));
  const line = stdout.split('\n').find((candidate) => candidate.startsWith(RESULT_PREFIX));
  if (code !== 0 || !line) {
    const tail = `${stderr}\n${stdout}`.trim().split('\n').slice(-15).join('\n');
    throw new Error(
      `${script} exited with ${code ?? 'a signal'}${line ? '' : ' without a result'}:\n${tail}`,
    );
  }
  return {result: JSON.parse(line.slice(RESULT_PREFIX.length)) as T, wallMs: performance.now() - started};
}

/** For children: read the input, run, print the result. Exits non-zero with the error on stderr. */
export async function childMain<I, O>(run: (input: I) => Promise<O>): Promise<void> {
  try {
    let text = '';
    for await (const chunk of process.stdin.setEncoding('utf8')) text += chunk;
    const input = JSON.parse(text || '{}') as I;
    const output = await run(input);
    process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(output)}\n`);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  }
}

/** Peak resident set size of this process so far, in MB (Linux reports ru_maxrss in KiB). */
export function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}
