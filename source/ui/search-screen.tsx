/**
 * The search screen: type a query, see ranked results with scores as you type. It knows nothing of models or
 * files: the owner passes `search` (e.g. `(query) => searcher.search(query, 20)`). Typing searches after a short
 * pause, Enter searches at once, Esc goes back. Answers to older queries that arrive late are dropped.
 */
import {Box, Text, useInput} from 'ink';
import {useEffect, useRef, useState} from 'react';
import type {SearchResult} from '../core/search/searcher.js';
import {shorten} from './format.js';
import {type ResultThumbnails, useResultThumbnails} from './search-thumbnails.js';
import {BusyLine, type Failure, FailureLines, failureOf} from './status-lines.js';
import {useTerminalSize} from './terminal-size.js';
import {TextField} from './text-field.js';

export interface SearchScreenProps {
  search: (query: string) => Promise<SearchResult[]>;
  onBack?: () => void;
  /** A line under the heading, e.g. "1,204 images · ViT-B-32 fp32 · exact". */
  subtitle?: string;
  initialQuery?: string;
  /** Pause after the last keystroke before searching. */
  debounceMs?: number;
  /** Width available for a result row (default: the terminal's). */
  width?: number;
  /** Pictures of the top results where the terminal shows inline images (never assumed: see terminal-images). */
  thumbnails?: ResultThumbnails;
}

/** Lines around the results: title, subtitle, query, the count line, the footer, the blank lines between. */
const CHROME_LINES = 10;

type SearchState =
  | {type: 'idle'}
  | {type: 'searching'; query: string}
  | {type: 'done'; query: string; results: SearchResult[]; ms: number}
  | ({type: 'failed'; query: string} & Failure);

const BAR_WIDTH = 10;

/** Scores are cosines in [-1, 1]; the bar shows where in the shown results' range each one falls. */
function scoreBar(score: number, best: number, worst: number): string {
  const span = best - worst;
  const fraction = span > 0 ? (score - worst) / span : 1;
  const filled = Math.max(1, Math.round(fraction * BAR_WIDTH));
  return `${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}`;
}

export function SearchScreen(props: SearchScreenProps) {
  const {search, onBack, debounceMs = 200} = props;
  const terminal = useTerminalSize();
  const width = Math.min(props.width ?? terminal.columns, terminal.columns);
  // The results get what the terminal has left, so the title and the query line never scroll off the top.
  const maxRows = Math.max(1, terminal.rows - CHROME_LINES);
  const [query, setQuery] = useState(props.initialQuery ?? '');
  const [state, setState] = useState<SearchState>({type: 'idle'});
  const latest = useRef(0);
  const timer = useRef<NodeJS.Timeout | undefined>(undefined);

  const run = (text: string) => {
    clearTimeout(timer.current);
    const trimmed = text.trim();
    const ticket = ++latest.current;
    if (!trimmed) {
      setState({type: 'idle'});
      return;
    }
    setState({type: 'searching', query: trimmed});
    const started = performance.now();
    search(trimmed).then(
      (results) => {
        if (ticket === latest.current)
          setState({type: 'done', query: trimmed, results, ms: performance.now() - started});
      },
      (error: unknown) => {
        if (ticket !== latest.current) return;
        setState({type: 'failed', query: trimmed, ...failureOf(error)});
      },
    );
  };

  // Only on mount: later queries come from typing, and a running search's answer is dropped on unmount.
  // biome-ignore lint/correctness/useExhaustiveDependencies: the initial query is searched once, on mount
  useEffect(() => {
    if (props.initialQuery) run(props.initialQuery);
    return () => {
      clearTimeout(timer.current);
      latest.current++;
    };
  }, []);

  useInput((_input, key) => {
    if (key.escape) onBack?.();
  });
  useResultThumbnails(state.type === 'done' ? state.results : undefined, props.thumbnails);

  const onChange = (text: string) => {
    setQuery(text);
    clearTimeout(timer.current);
    timer.current = setTimeout(() => run(text), debounceMs);
  };

  return (
    <Box flexDirection="column">
      <Text bold>Search embeddings</Text>
      {props.subtitle ? <Text dimColor>{shorten(props.subtitle, width - 1)}</Text> : null}
      <Box marginTop={1}>
        <Text color="cyan">{'› '}</Text>
        <TextField
          value={query}
          onChange={onChange}
          onSubmit={run}
          placeholder='a red car  ·  "2:golden retriever" + beach - "text"  ·  "beach" + image:photo.jpg'
        />
      </Box>
      <Box marginTop={1} flexDirection="column">
        <StateView state={state} width={width} maxRows={maxRows} />
      </Box>
      <Box marginTop={1}>
        <Text dimColor>
          type to search · Enter: search now · Esc: back
          {props.thumbnails?.support.protocol ? ` · pictures: ${props.thumbnails.support.reason}` : ''}
        </Text>
      </Box>
    </Box>
  );
}

function StateView({state, width, maxRows}: {state: SearchState; width: number; maxRows: number}) {
  if (state.type === 'idle') return <Text dimColor>Results appear as you type.</Text>;
  if (state.type === 'searching') return <BusyLine>searching {shorten(state.query, width - 12)}</BusyLine>;
  if (state.type === 'failed') return <FailureLines failure={state} />;
  const {results} = state;
  if (results.length === 0) return <Text dimColor>No results.</Text>;
  const best = results[0]!.score;
  const worst = results[results.length - 1]!.score;
  const shown = results.length > maxRows ? results.slice(0, maxRows - 1) : results;
  const rankWidth = String(results.length).length;
  const fileWidth = Math.max(10, width - rankWidth - BAR_WIDTH - 14);
  return (
    <Box flexDirection="column">
      <Text dimColor>
        {results.length} results in {Math.round(state.ms)} ms
      </Text>
      {shown.map((result) => (
        <Text key={result.id}>
          {String(result.rank).padStart(rankWidth)}{' '}
          <Text color="green">{result.score.toFixed(4).padStart(7)}</Text>{' '}
          <Text color="gray">{scoreBar(result.score, best, worst)}</Text> {shorten(result.file, fileWidth)}
        </Text>
      ))}
      {shown.length < results.length ? (
        <Text dimColor>… {results.length - shown.length} more (a taller terminal shows them)</Text>
      ) : null}
    </Box>
  );
}
