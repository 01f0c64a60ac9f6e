import {Worker} from 'node:worker_threads';

/**
 * Starts a worker thread on a module beside the caller, given without extension (`./inference-worker`).
 * Under tsx (tests, `npm run bench`) the caller is .ts and so is the worker; node does not apply tsx's loader to a
 * worker's entry file, so a tiny bootstrap registers it first. Built (dist) code is plain .js.
 */
export function startModuleWorker(callerUrl: string, relative: string, workerData: unknown): Worker {
  const extension = callerUrl.endsWith('.ts') ? '.ts' : '.js';
  const url = new URL(`${relative}${extension}`, callerUrl);
  if (extension === '.js') return new Worker(url, {workerData});
  // An eval'd worker resolves bare specifiers from the working directory, so hand it tsx's resolved URL.
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const bootstrap = `import(${tsx}).then(({register}) => { register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(bootstrap, {eval: true, workerData});
}
