/**
 * Thumbnails of search results for terminals that show inline images. Ink strips (kitty) or garbles (iTerm2)
 * image escape sequences inside its frames, so the strip is written beside them with Ink's `useStdout().write`,
 * which prints raw text above the live screen and redraws it: each search leaves one strip in the scrollback.
 */
import {useStdout} from 'ink';
import {useEffect} from 'react';
import type {SearchResult} from '../core/search/searcher.js';
import {encodeInlineImage, type InlineImageSupport} from './terminal-images.js';

export interface ResultThumbnails {
  /** From detectInlineImages; null protocol means the text list only. */
  support: InlineImageSupport;
  /** A small PNG of a result's image, or undefined when it cannot be read. */
  load: (result: SearchResult) => Promise<Uint8Array | undefined>;
  /** How many results get a picture (default 8). */
  count?: number;
}

export const THUMB_COLUMNS = 8;
export const THUMB_ROWS = 4;

/** One row of pictures, each followed by its rank, then the cursor below them; '' when none could be shown. */
export function thumbnailStrip(
  items: readonly {rank: number; png: Uint8Array}[],
  support: InlineImageSupport,
): string {
  if (support.protocol === null) return '';
  const shown = items.flatMap((item) => {
    try {
      const picture = encodeInlineImage(item.png, support.protocol!, {
        columns: THUMB_COLUMNS,
        rows: THUMB_ROWS,
        tmux: support.tmux,
      });
      return [`${picture}${String(item.rank).padEnd(3)}`];
    } catch {
      return []; // not a PNG or too large: that result keeps its text line only
    }
  });
  if (shown.length === 0) return '';
  return `${shown.join(' ')}\n${'\n'.repeat(THUMB_ROWS - 1)}`;
}

/** Writes the strip for `results` once they are shown; a newer set of results cancels an unfinished strip. */
export function useResultThumbnails(
  results: readonly SearchResult[] | undefined,
  thumbnails: ResultThumbnails | undefined,
): void {
  const {write} = useStdout();
  useEffect(() => {
    if (!results || results.length === 0 || !thumbnails || thumbnails.support.protocol === null) return;
    let current = true;
    const wanted = results.slice(0, thumbnails.count ?? 8);
    Promise.all(wanted.map((result) => thumbnails.load(result).catch(() => undefined))).then((pngs) => {
      if (!current) return;
      const items = wanted.flatMap((result, index) => {
        const png = pngs[index];
        return png ? [{rank: result.rank, png}] : [];
      });
      const strip = thumbnailStrip(items, thumbnails.support);
      if (strip) write(strip);
    });
    return () => {
      current = false;
    };
  }, [results, thumbnails, write]);
}
