/**
 * The Hugging Face Hub's download protocol, as huggingface_hub and transformers.js use it:
 * `GET {endpoint}/{repo}/resolve/{revision}/{path}`. Small files are answered directly with `ETag: "<git blob
 * sha1>"`; LFS files (the ONNX graphs) are answered with a 302 to a signed CDN URL, and that redirect carries
 * `X-Linked-Etag: "<sha256>"`, `X-Linked-Size` and `X-Repo-Commit`. `HF_ENDPOINT` points at a mirror with
 * the same layout; `HF_TOKEN` is sent as a bearer token to the Hub only (never across to the CDN).
 */
import {UserError} from '../errors.js';
import type {HttpRedirect} from '../net/http.js';

export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';

export function hubEndpoint(env: NodeJS.ProcessEnv): string {
  const endpoint = (env.HF_ENDPOINT?.trim() || DEFAULT_HUB_ENDPOINT).replace(/\/+$/, '');
  let protocol = '';
  try {
    protocol = new URL(endpoint).protocol;
  } catch {}
  if (protocol !== 'http:' && protocol !== 'https:') {
    throw new UserError(
      `HF_ENDPOINT is not an http(s) URL: '${endpoint}'`,
      `set it to a Hub mirror such as https://hf-mirror.example, or unset it to use ${DEFAULT_HUB_ENDPOINT}`,
    );
  }
  return endpoint;
}

export function hubToken(env: NodeJS.ProcessEnv): string | undefined {
  return env.HF_TOKEN?.trim() || env.HUGGING_FACE_HUB_TOKEN?.trim() || undefined;
}

export function hubFileUrl(endpoint: string, repo: string, revision: string, path: string): string {
  const encodedPath = path.split('/').map(encodeURIComponent).join('/');
  return `${endpoint}/${repo}/resolve/${encodeURIComponent(revision)}/${encodedPath}`;
}

export function hubRequestHeaders(env: NodeJS.ProcessEnv): Record<string, string> {
  const token = hubToken(env);
  // Identity encoding: the ETag and sizes describe the stored bytes, not a compressed transfer.
  const headers: Record<string, string> = {'accept-encoding': 'identity'};
  if (token) headers.authorization = `Bearer ${token}`;
  return headers;
}

export type ChecksumAlgorithm = 'sha256' | 'git-sha1';

export interface HubChecksum {
  algorithm: ChecksumAlgorithm;
  /** Lower-case hex. */
  value: string;
}

export function parseEtag(etag: string | undefined): HubChecksum | undefined {
  if (etag === undefined) return undefined;
  const value = etag
    .trim()
    .replace(/^W\//, '')
    .replace(/^"(.*)"$/, '$1')
    .toLowerCase();
  if (/^[0-9a-f]{64}$/.test(value)) return {algorithm: 'sha256', value};
  if (/^[0-9a-f]{40}$/.test(value)) return {algorithm: 'git-sha1', value};
  return undefined;
}

/** What the Hub said about a file: its checksum, size and the commit the revision resolved to. */
export interface HubFileInfo {
  checksum?: HubChecksum;
  size?: number;
  commit?: string;
}

/**
 * Reads the Hub's metadata from the answers that came from the Hub itself (the redirect hops and, for small
 * files, the final answer). A CDN's ETag is ignored: it is an object-store tag, not the file's checksum.
 */
export function hubFileInfo(
  hubOrigin: string,
  hops: readonly HttpRedirect[],
  final: {url: string; headers: Record<string, string>},
): HubFileInfo {
  const answers = [
    ...hops.map((hop) => ({url: hop.from, headers: hop.headers})),
    {url: final.url, headers: final.headers},
  ].filter((answer) => new URL(answer.url).origin === hubOrigin);
  const info: HubFileInfo = {};
  for (const {headers} of answers) {
    const linked = parseEtag(headers['x-linked-etag']);
    if (linked) info.checksum = linked;
    else info.checksum = parseEtag(headers.etag) ?? info.checksum;
    const linkedSize = Number(headers['x-linked-size']);
    if (Number.isSafeInteger(linkedSize) && linkedSize >= 0) info.size = linkedSize;
    const commit = headers['x-repo-commit'];
    if (commit && /^[0-9a-f]{40}$/i.test(commit)) info.commit = commit.toLowerCase();
    if (linked) break;
  }
  return info;
}

export interface HubFileContext {
  repo: string;
  revision: string;
  path: string;
  url: string;
  tokenSet: boolean;
}

/** Turns the Hub's refusals into messages that say what to do. */
export function hubStatusError(
  status: number,
  headers: Record<string, string>,
  context: HubFileContext,
): UserError {
  const code = headers['x-error-code'];
  const where = `${context.url} answered ${status}`;
  if (status === 401 || status === 403) {
    if (code === 'GatedRepo' || status === 403) {
      return new UserError(
        `${where}: ${context.repo} is gated or private and this token may not read it`,
        `accept the repo's terms on its Hub page with the account whose token is in HF_TOKEN, or check the token's permissions`,
      );
    }
    return new UserError(
      context.tokenSet
        ? `${where}: HF_TOKEN was refused for ${context.repo} (it may be private, gated, or not exist)`
        : `${where}: ${context.repo} needs authorisation (it may be private or gated), or does not exist`,
      context.tokenSet
        ? 'check that HF_TOKEN holds a valid Hugging Face access token with read access, and the repo id'
        : 'set HF_TOKEN to a Hugging Face access token (https://huggingface.co/settings/tokens), and check the repo id',
    );
  }
  if (status === 404) {
    if (code === 'RepoNotFound') {
      return new UserError(`${where}: repo ${context.repo} not found`, 'check the repo id (owner/name)');
    }
    if (code === 'RevisionNotFound') {
      return new UserError(
        `${where}: ${context.repo} has no revision '${context.revision}'`,
        'check --revision (a branch, tag or commit of the repo)',
      );
    }
    return new UserError(
      `${where}: ${context.repo} has no file ${context.path} at revision '${context.revision}'`,
      'check that the repo is in the transformers.js layout and has this dtype (try another --dtype)',
    );
  }
  return new UserError(
    `${where} for ${context.path}${headers['x-error-message'] ? ` (${headers['x-error-message']})` : ''}`,
    'try again later, or set HF_ENDPOINT to a mirror',
  );
}
