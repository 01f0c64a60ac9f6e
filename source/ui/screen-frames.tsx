/** Frames that mount screens owned elsewhere (validation, search) inside the dashboard, with a way back. */
import {Box, Text, useInput} from 'ink';
import {type ReactNode, useEffect, useState} from 'react';
import type {SearchResult} from '../core/search/searcher.js';
import {SearchScreen} from './search-screen.js';
import type {ResultThumbnails} from './search-thumbnails.js';

/** Esc (or q, or Ctrl+C) goes back; the child keeps every other key. */
export function BackFrame({onBack, children}: {onBack: () => void; children: ReactNode}) {
  useInput((input, key) => {
    if (key.escape || input === 'q' || (key.ctrl && input === 'c')) onBack();
  });
  return (
    <Box flexDirection="column">
      {children}
      <Text dimColor>Esc back</Text>
    </Box>
  );
}

export interface OpenedSearch {
  search(query: string): Promise<SearchResult[]>;
  close(): Promise<void>;
  subtitle: string;
  thumbnails?: ResultThumbnails;
}

/** Opens a searcher (loading the model takes a moment), shows the search screen, closes it on the way out. */
export function SearchFrame({open, onBack}: {open: () => Promise<OpenedSearch>; onBack: () => void}) {
  const [opened, setOpened] = useState<OpenedSearch | {error: string} | null>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: open once per mount
  useEffect(() => {
    let current: OpenedSearch | undefined;
    let cancelled = false;
    open().then(
      (value) => {
        current = value;
        if (cancelled) void value.close();
        else setOpened(value);
      },
      (error: unknown) => setOpened({error: error instanceof Error ? error.message : String(error)}),
    );
    return () => {
      cancelled = true;
      void current?.close();
    };
  }, []);
  if (opened === null) return <Text>opening the embeddings and the model…</Text>;
  if ('error' in opened)
    return (
      <BackFrame onBack={onBack}>
        <Text color="red">cannot search: {opened.error}</Text>
      </BackFrame>
    );
  return (
    <SearchScreen
      search={opened.search}
      subtitle={opened.subtitle}
      onBack={onBack}
      thumbnails={opened.thumbnails}
    />
  );
}
