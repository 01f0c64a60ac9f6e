/**
 * What the dashboard's search screen needs beyond the searcher: queries whose images are read and checked first
 * (image:PATH, links), and result thumbnails where the terminal shows inline images (detected, never assumed).
 */
import {isAbsolute, relative, resolve} from 'node:path';
import {thumbnailPng} from '../core/image/sharp-image.js';
import {parseQuery} from '../core/search/query.js';
import {readQuerySources} from '../core/search/query-sources.js';
import type {Searcher, SearchResult} from '../core/search/searcher.js';
import type {ResultThumbnails} from '../ui/search-thumbnails.js';
import {detectInlineImages} from '../ui/terminal-images.js';

/** Thumbnails are drawn 8 cells wide; 96 px is sharp enough at common cell sizes and stays a few KB. */
const THUMB_PIXELS = 96;

export function screenSearch(searcher: Searcher, k: number) {
  return async (text: string): Promise<SearchResult[]> =>
    searcher.search(await readQuerySources(parseQuery(text)), k);
}

export function searchThumbnails(
  searcher: Searcher,
  env: Readonly<Record<string, string | undefined>>,
  isTTY: boolean | undefined,
): ResultThumbnails {
  const support = detectInlineImages(env, {isTTY});
  const root = searcher.imagesDir;
  return {
    support,
    load: async (result) => {
      if (root === undefined) return undefined;
      const path = resolve(root, result.file);
      const inside = relative(root, path);
      if (inside.startsWith('..') || isAbsolute(inside)) return undefined; // a name that leaves the folder
      return thumbnailPng(path, THUMB_PIXELS);
    },
  };
}
