/**
 * One file of a pull: download into staging, map the Hub's refusals and network failures to messages that
 * say what to do, and record the verified file in the staging manifest so a later run can reuse it.
 */
import {mkdir, rename} from 'node:fs/promises';
import {dirname, join} from 'node:path';
import {UserError} from '../errors.js';
import {type HttpClient, HttpError} from '../net/http.js';
import {hubFileUrl, hubRequestHeaders, hubStatusError, hubToken} from './hub.js';
import {DEFAULT_PULL_RETRY, downloadHubFile} from './hub-download.js';
import {type ManifestFile, type ModelManifest, writeManifest} from './manifest.js';
import type {PullEvent, PullOptions} from './pull-types.js';
import {filesForDtypes, type ModelFileSpec, type ModelRef} from './registry.js';

export interface FetchContext {
  ref: ModelRef;
  revision: string;
  endpoint: string;
  env: NodeJS.ProcessEnv;
  stagingDir: string;
  client: HttpClient;
  state: ModelManifest;
  options: PullOptions;
  emit: (event: PullEvent) => void;
}

/** Downloads one file into staging; null when an optional file is absent from the repo. */
export async function fetchModelFile(
  spec: ModelFileSpec,
  context: FetchContext,
): Promise<ManifestFile | null> {
  const {ref, revision, endpoint, env, stagingDir, state, options, emit} = context;
  const url = hubFileUrl(endpoint, ref.repo, state.commit ?? revision, spec.path);
  const target = join(stagingDir, spec.path);
  await mkdir(dirname(target), {recursive: true});
  let result: Awaited<ReturnType<typeof downloadHubFile>>;
  try {
    result = await downloadHubFile({
      client: context.client,
      url,
      hubOrigin: new URL(endpoint).origin,
      headers: hubRequestHeaders(env),
      partPath: `${target}.part`,
      retry: {...DEFAULT_PULL_RETRY, ...options.retry},
      signal: options.signal,
      now: options.now,
      sleep: options.sleep,
      onStart: (start) => emit({type: 'file-start', path: spec.path, url, ...start}),
      onProgress: (progress) => emit({type: 'file-progress', path: spec.path, ...progress}),
      onRetry: (retry) => emit({type: 'file-retry', path: spec.path, ...retry}),
    });
  } catch (error) {
    if (error instanceof HttpError && error.kind !== 'aborted') throw unreachable(url, error, context);
    throw error;
  }
  if (result.status === 'refused') {
    const code = result.headers['x-error-code'];
    if (
      result.httpStatus === 404 &&
      !spec.required &&
      code !== 'RepoNotFound' &&
      code !== 'RevisionNotFound'
    ) {
      state.absentOptional.push(spec.path);
      await writeManifest(stagingDir, state);
      emit({type: 'file-absent', path: spec.path});
      return null;
    }
    throw hubStatusError(result.httpStatus, result.headers, {
      repo: ref.repo,
      revision,
      path: spec.path,
      url,
      tokenSet: hubToken(env) !== undefined,
    });
  }
  if (result.status === 'checksum-mismatch') {
    throw new UserError(
      `${spec.path} from ${url} failed its checksum: the Hub says ${result.expected.algorithm} ${result.expected.value}, the download has sha256 ${result.digest.sha256}; it was deleted and nothing was installed`,
      'run the pull again; if it fails the same way, the mirror (HF_ENDPOINT) or a proxy is altering the file',
    );
  }
  state.commit ??= result.info.commit ?? null;
  await rename(`${target}.part`, target);
  const file: ManifestFile = {
    path: spec.path,
    size: result.digest.size,
    sha256: result.digest.sha256,
    checkedAgainst: !result.info.checksum
      ? 'none'
      : result.info.checksum.algorithm === 'sha256'
        ? 'hub-sha256'
        : 'hub-git-sha1',
    sourceUrl: url,
    downloadedAt: new Date().toISOString(),
  };
  state.files.push(file);
  await writeManifest(stagingDir, state);
  emit({type: 'file-done', path: spec.path, file, reused: false});
  return file;
}

function unreachable(url: string, error: HttpError, context: FetchContext): UserError {
  const {ref, revision, endpoint, options} = context;
  const files = filesForDtypes(context.state.dtypes)
    .filter((spec) => spec.required)
    .map((spec) => spec.path);
  return new UserError(
    `cannot download ${url}: ${error.message}`,
    `check the network, or set HF_ENDPOINT to a reachable mirror; or place the files by hand: get ${files.join(', ')} from ${endpoint}/${ref.repo}/tree/${revision} and put them in ${join(options.modelsDir, ref.name)}/ with the same relative paths`,
  );
}
