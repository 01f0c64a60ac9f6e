/**
 * Cuts a source into shard specs with stable ids: shard k holds the source's images [k*S, (k+1)*S) in the
 * source's own order (URL-list lines, template or picsum indices, a folder's sorted files), so cutting the same
 * source again gives the same specs, and the shard id (first shard id + k) is both the job id and the shard folder.
 * A spec holds URLs or names only; workers expand it with shardItems().
 */
import {createHash} from 'node:crypto';
import {readFile} from 'node:fs/promises';
import {join, resolve} from 'node:path';
import {pathToFileURL} from 'node:url';
import {DEFAULT_PICSUM_URL, fillTemplate, seedFor} from '../download/providers.js';
import {walkImageFiles} from '../embed/file-walk.js';
import {UserError} from '../errors.js';
import type {ShardSource, ShardSpec} from './types.js';

export const DEFAULT_SHARD_SIZE = 4096;
/** Ids are 8 digits; BullMQ also refuses job ids that read as integers, which 8 digits from 10^7 on would. */
const MAX_SHARD_ID = 9_999_999;
/** A fixed seed for picsum and {seed} templates without --seed: a random one would not cut the same way twice. */
export const CLUSTER_DEFAULT_SEED = 'visual-cortex';

export interface ClusterSourceOptions {
  provider: string;
  /** Images wanted; required for sources without an end (picsum without ids, custom templates). */
  count?: number;
  width: number;
  height: number;
  /** custom: URL template. */
  url?: string;
  /** urls: the URL list file. */
  urls?: string;
  /** local: a folder every worker can read. */
  sourceDir?: string;
  picsumIds?: number[];
  seed?: string;
  picsumBaseUrl?: string;
}

export interface CutSource {
  /** Shard sources in order, before ids are given. */
  pieces: {first: number; count: number; source: ShardSource}[];
  images: number;
  description: string;
  /** sha256 over the pieces: equal for the same source cut the same way. */
  fingerprint: string;
}

export function shardId(index: number): string {
  if (!Number.isInteger(index) || index < 0 || index > MAX_SHARD_ID)
    throw new UserError(`shard number ${index} is out of range`, 'use a larger --shard-size');
  return String(index).padStart(8, '0');
}

export function checkShardSize(size: number): number {
  if (!Number.isInteger(size) || size < 1 || size > 1_000_000)
    throw new UserError(
      `--shard-size must be a whole number from 1 to 1000000 (got ${size})`,
      'pass e.g. --shard-size 4096',
    );
  return size;
}

function ranges(total: number, size: number): [number, number][] {
  const out: [number, number][] = [];
  for (let from = 0; from < total; from += size) out.push([from, Math.min(total, from + size)]);
  return out;
}

function needCount(options: ClusterSourceOptions, what: string): number {
  const {count} = options;
  if (count === undefined || !Number.isInteger(count) || count < 1)
    throw new UserError(`${what} has no end: say how many images to cut into shards`, 'pass --count N');
  return count;
}

function cap<T>(items: T[], count: number | undefined): T[] {
  return count === undefined ? items : items.slice(0, count);
}

export async function cutSource(options: ClusterSourceOptions, shardSize: number): Promise<CutSource> {
  checkShardSize(shardSize);
  const {width, height} = options;
  const seed = options.seed || CLUSTER_DEFAULT_SEED;
  let pieces: CutSource['pieces'];
  let description: string;
  switch (options.provider) {
    case 'urls': {
      if (!options.urls) throw new UserError('--provider urls needs a file of URLs', 'pass --urls FILE');
      const text = await readFile(options.urls, 'utf8').catch(() => {
        throw new UserError(`cannot read the URL list ${options.urls}`, 'check the path given to --urls');
      });
      const lines = cap(urlLines(text), options.count);
      pieces = ranges(lines.length, shardSize).map(([from, to]) => {
        const part = lines.slice(from, to);
        const source: ShardSource = {
          kind: 'urls',
          urls: part.map((line) => line.url),
          lines: [part[0]!.line, part.at(-1)!.line],
        };
        return {first: from, count: to - from, source};
      });
      description = `urls ${options.urls} (${lines.length} URLs)`;
      break;
    }
    case 'picsum': {
      const base = (options.picsumBaseUrl ?? DEFAULT_PICSUM_URL).replace(/\/+$/, '');
      if (options.picsumIds) {
        const ids = cap(options.picsumIds, options.count);
        pieces = ranges(ids.length, shardSize).map(([from, to]) => ({
          first: from,
          count: to - from,
          source: {
            kind: 'urls',
            urls: ids.slice(from, to).map((id) => `${base}/id/${id}/${width}/${height}`),
          },
        }));
        description = `picsum ids (${ids.length})`;
        break;
      }
      const count = needCount(options, 'picsum without --ids');
      pieces = ranges(count, shardSize).map(([from, to]) => ({
        first: from,
        count: to - from,
        source: {kind: 'picsum', base, seed, width, height, from, to},
      }));
      description = `picsum seed '${seed}' ${width}x${height} (${count} images)`;
      break;
    }
    case 'custom': {
      if (!options.url)
        throw new UserError('--provider custom needs a URL template', "pass --url 'https://host/{index}'");
      const count = needCount(options, 'a URL template');
      const template = options.url;
      pieces = ranges(count, shardSize).map(([from, to]) => ({
        first: from,
        count: to - from,
        source: {kind: 'template', template, width, height, seed, from, to},
      }));
      description = `template ${template} (${count} images)`;
      break;
    }
    case 'local': {
      if (!options.sourceDir) throw new UserError('--provider local needs a folder', 'pass --from DIR');
      const root = resolve(options.sourceDir);
      const names = cap(
        (await walkImageFiles(root)).files.map((file) => file.relative),
        options.count,
      );
      pieces = ranges(names.length, shardSize).map(([from, to]) => ({
        first: from,
        count: to - from,
        source: {kind: 'files', root, names: names.slice(from, to)},
      }));
      description = `folder ${root} (${names.length} files)`;
      break;
    }
    default:
      throw new UserError(
        `cluster submit cannot cut --provider ${options.provider} into stable shards`,
        options.provider === 'unsplash'
          ? "Unsplash's random endpoint has no stable ids: 'visual-cortex download --provider unsplash' first, then submit the folder with --provider local"
          : 'use picsum, custom, urls or local',
      );
  }
  if (pieces.length === 0)
    throw new UserError(`the source has no images: ${description}`, 'check the source options');
  const fingerprint = createHash('sha256').update(JSON.stringify(pieces)).digest('hex');
  return {pieces, images: pieces.reduce((sum, piece) => sum + piece.count, 0), description, fingerprint};
}

/** The specs with ids from firstShard on. */
export function assignShardIds(cut: CutSource, firstShard: number): ShardSpec[] {
  shardId(firstShard + cut.pieces.length - 1);
  return cut.pieces.map((piece, index) => ({id: shardId(firstShard + index), ...piece}));
}

function urlLines(text: string): {url: string; line: number}[] {
  const out: {url: string; line: number}[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const url = raw.trim();
    if (url !== '' && !url.startsWith('#')) out.push({url, line: index + 1});
  });
  return out;
}

export interface ShardItem {
  url: string;
  /** files: the absolute path to read instead of fetching. */
  localPath?: string;
}

/** The shard's images in row order. */
export function shardItems(source: ShardSource): ShardItem[] {
  switch (source.kind) {
    case 'urls':
      return source.urls.map((url) => ({url}));
    case 'template':
    case 'picsum': {
      const items: ShardItem[] = [];
      for (let index = source.from; index < source.to; index++) items.push({url: itemUrl(source, index)});
      return items;
    }
    case 'files':
      return source.names.map((name) => {
        const localPath = join(source.root, name);
        return {url: pathToFileURL(localPath).href, localPath};
      });
  }
}

function itemUrl(source: Extract<ShardSource, {kind: 'template' | 'picsum'}>, index: number): string {
  const {width, height, seed} = source;
  if (source.kind === 'picsum') return `${source.base}/seed/${seed}-${index}/${width}/${height}`;
  return fillTemplate(source.template, {width, height, index, seed: seedFor(seed, index)});
}
