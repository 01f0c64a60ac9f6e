/**
 * A `worker` process with a fake ShardProcessor, for the cluster tests: it sleeps `msPerImage` per image (honouring
 * the abort signal), reports progress, and leaves marker files `<shard>.start.<pid>` and `<shard>.done.<pid>` in
 * the markers folder. Everything else (flags, queue, locks, signals, exit codes) is the real worker command.
 * argv[2]: JSON {markers, msPerImage, args: string[] (worker flags)}.
 */
import {writeFile} from 'node:fs/promises';
import {join} from 'node:path';
import meow from 'meow';
import {globalFlags} from '../../../source/commands/command.js';
import {reportError} from '../../../source/commands/output.js';
import {runWorker, workerFlags} from '../../../source/commands/worker.js';
import type {ShardProcessor} from '../../../source/core/cluster/types.js';

const config = JSON.parse(process.argv[2] ?? '{}') as {markers: string; msPerImage: number; args: string[]};

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });

const processor: ShardProcessor = async (spec, {signal, onProgress}) => {
  await writeFile(join(config.markers, `${spec.id}.start.${process.pid}`), '');
  for (let done = 1; done <= spec.count; done++) {
    await sleep(config.msPerImage, signal);
    onProgress({stage: 'embed', done, total: spec.count, failed: 0});
  }
  await writeFile(join(config.markers, `${spec.id}.done.${process.pid}`), '');
  return {rows: spec.count, failed: 0, failures: [], sha256: `fake-${spec.id}`, committed: true, seconds: 0};
};

const cli = meow('', {importMeta: import.meta, argv: config.args, flags: {...globalFlags, ...workerFlags}});
const controller = new AbortController();
process.on('SIGINT', () => controller.abort());
process.on('SIGTERM', () => controller.abort());
const io = {stdout: process.stdout, stderr: process.stderr, stdin: process.stdin};
try {
  process.exitCode = await runWorker(
    {
      input: [],
      flags: cli.flags as never,
      io,
      signal: controller.signal,
      env: process.env,
      explicitFlags: new Set(),
    },
    processor,
  );
} catch (error) {
  process.exitCode = reportError(io, error, false);
}
