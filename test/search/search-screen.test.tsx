import assert from 'node:assert/strict';
import {test} from 'node:test';
import {render} from 'ink-testing-library';
import {UserError} from '../../source/core/errors.js';
import type {SearchResult} from '../../source/core/search/searcher.js';
import {SearchScreen} from '../../source/ui/search-screen.js';
import {eventually, frameMatches, KEYS, press, settle} from '../ui/keys.js';

const results = (query: string): SearchResult[] => [
  {rank: 1, id: 4, file: `best-for-${query}.jpg`, score: 0.3125},
  {rank: 2, id: 0, file: 'second.png', score: 0.25},
];

test('typing searches after a pause and shows ranked results with scores', async () => {
  const queries: string[] = [];
  const search = async (query: string) => {
    queries.push(query);
    return results(query.replace(/\W+/g, '-'));
  };
  const {lastFrame, stdin, unmount} = render(
    <SearchScreen search={search} debounceMs={20} subtitle="2 images · tiny-clip fp32 · exact" />,
  );
  try {
    await frameMatches(lastFrame, /Results appear as you type/);
    assert.match(lastFrame() ?? '', /Search embeddings/);
    assert.match(lastFrame() ?? '', /2 images · tiny-clip fp32 · exact/);
    stdin.write('red car');
    await frameMatches(lastFrame, /2 results in \d+ ms/);
    assert.deepEqual(queries, ['red car'], 'one search for the whole burst of typing');
    const frame = lastFrame() ?? '';
    assert.match(frame, /› red car/);
    assert.match(frame, /1\s+0\.3125\s+█+░*\s+best-for-red-car\.jpg/);
    assert.match(frame, /2\s+0\.2500\s+█+░*\s+second\.png/);
    // Enter searches at once, without waiting for the pause.
    await press(stdin, KEYS.enter);
    await eventually(() => assert.equal(queries.length, 2));
  } finally {
    unmount();
  }
});

test('a late answer to an older query never replaces the newer one', async () => {
  const resolvers = new Map<string, (value: SearchResult[]) => void>();
  const search = (query: string) => new Promise<SearchResult[]>((resolve) => resolvers.set(query, resolve));
  const {lastFrame, stdin, unmount} = render(<SearchScreen search={search} debounceMs={5} />);
  try {
    await frameMatches(lastFrame, /Results appear as you type/);
    stdin.write('cat');
    await frameMatches(lastFrame, /searching cat/);
    stdin.write('s');
    await eventually(() => assert.ok(resolvers.has('cats')));
    resolvers.get('cats')?.(results('cats'));
    await frameMatches(lastFrame, /best-for-cats\.jpg/);
    // The older answer comes last; it must not replace the newer one.
    resolvers.get('cat')?.(results('cat'));
    await settle();
    assert.match(lastFrame() ?? '', /best-for-cats\.jpg/);
    assert.doesNotMatch(lastFrame() ?? '', /best-for-cat\.jpg/);
  } finally {
    unmount();
  }
});

test('errors show with their fix, and Esc goes back', async () => {
  let backs = 0;
  const search = async (): Promise<SearchResult[]> => {
    throw new UserError('the query ends with an operator', 'write terms like "cat" - "dog"');
  };
  const {lastFrame, stdin, unmount} = render(
    <SearchScreen search={search} onBack={() => backs++} initialQuery='"cat" -' />,
  );
  try {
    await frameMatches(lastFrame, /✗ the query ends with an operator/);
    assert.match(lastFrame() ?? '', /fix: write terms like "cat" - "dog"/);
    await press(stdin, KEYS.escape);
    await eventually(() => assert.equal(backs, 1));
  } finally {
    unmount();
  }
});
