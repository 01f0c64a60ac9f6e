/**
 * Search queries: one or more weighted terms, combined as the normalised sum of their normalised embeddings.
 *
 * Text syntax (see USAGE_GUIDE.md, section search):
 *   a red car                       bare words are one text term
 *   "cat" - "dog"                   `+` / `-` at the start of a token combine terms; quote text that has them
 *   "beach" + image:photos/me.jpg   an image file as a term (`image:"path with spaces.jpg"` for spaces)
 *   "sunset" + 0.5*id:42            `W*` weighs a term; `id:N` is the stored image in row N
 *   "2:golden retriever" + beach    `W:` weighs a term too, inside its quotes or before it (2:beach, 2:"a b")
 *   https://host/cat.jpg            an image link (http(s), image extension), or url:LINK for any link
 * Weights are positive numbers (subtract with -); a weight of 0, an empty term or an unclosed quote is an error.
 */
import {UserError} from '../errors.js';
import {looksLikeLink, parseImageUrl} from './query-url.js';

export type QueryTerm =
  | {kind: 'text'; text: string; weight: number}
  | {kind: 'image'; image: string | Uint8Array; weight: number}
  | {kind: 'row'; row: number; weight: number}
  /** An image to fetch by URL; only its form is checked here (the downloader validates the fetch). */
  | {kind: 'url'; url: string; weight: number};

export interface Query {
  terms: QueryTerm[];
}

export const textQuery = (text: string): Query => ({terms: [{kind: 'text', text, weight: 1}]});
export const imageQuery = (image: string | Uint8Array): Query => ({
  terms: [{kind: 'image', image, weight: 1}],
});
export const rowQuery = (row: number): Query => ({terms: [{kind: 'row', row, weight: 1}]});

/** `prefix` is the word glued before a quote: `0.5*"a b"`, `2:"a b"`, `image:"a b.jpg"`, `url:"..."`. */
type Token =
  | {type: 'op'; sign: 1 | -1}
  | {type: 'quoted'; text: string; prefix: string}
  | {type: 'word'; text: string};

const SYNTAX_HINT =
  'write terms like: a red car   or   "cat" - "dog" + image:photo.jpg + 0.5*id:3 + "2:golden retriever" (quote text that starts with + or -)';

function readQuoted(input: string, open: number): {text: string; next: number} {
  let text = '';
  for (let i = open + 1; i < input.length; i++) {
    const char = input[i]!;
    if (char === '\\' && (input[i + 1] === '"' || input[i + 1] === '\\')) {
      text += input[++i];
    } else if (char === '"') {
      return {text, next: i + 1};
    } else {
      text += char;
    }
  }
  throw new UserError(`the query has an unclosed quote: ${input}`, SYNTAX_HINT);
}

function lex(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let tokenStart = true; // after whitespace, the start, or a closing quote
  while (i < input.length) {
    const char = input[i]!;
    if (/\s/.test(char)) {
      i++;
      tokenStart = true;
    } else if (char === '"') {
      const quoted = readQuoted(input, i);
      tokens.push({type: 'quoted', text: quoted.text, prefix: ''});
      i = quoted.next;
      tokenStart = true;
    } else if ((char === '+' || char === '-') && tokenStart) {
      tokens.push({type: 'op', sign: char === '+' ? 1 : -1});
      i++;
    } else {
      let end = i;
      while (end < input.length && !/\s/.test(input[end]!) && input[end] !== '"') end++;
      const text = input.slice(i, end);
      if (input[end] === '"' && !/[*:]$/.test(text))
        throw new UserError(`unexpected quote after '${text}' in the query`, SYNTAX_HINT);
      if (input[end] === '"') {
        const quoted = readQuoted(input, end);
        tokens.push({type: 'quoted', text: quoted.text, prefix: text});
        i = quoted.next;
        tokenStart = true;
      } else {
        tokens.push({type: 'word', text});
        i = end;
        tokenStart = false;
      }
    }
  }
  return tokens;
}

/** `W*` (W without a colon) or `W:` not followed by a digit (so `10:30` and `16:9` stay text). */
const STAR_WEIGHT = /^([^\s*:"]+)\*/;
const COLON_WEIGHT = /^([+-]?[\d.]+):(?!\d)/;

/** Splits a leading weight off a term; undefined when there is none. */
function splitWeight(text: string, colonOnly = false): {weight: number; rest: string} | undefined {
  const match = (colonOnly ? undefined : STAR_WEIGHT.exec(text)) ?? COLON_WEIGHT.exec(text);
  if (!match) return undefined;
  const written = match[1]!;
  if (/^[+-]/.test(written))
    throw new UserError(
      `the weight '${written}' has a sign: weights are positive`,
      'put - before the term to subtract it: - "2:text"',
    );
  if (!/^(\d+(\.\d+)?|\.\d+)$/.test(written))
    throw new UserError(`'${written}' is not a number: a weight is written like 2 or 0.5`, SYNTAX_HINT);
  const weight = Number(written);
  if (weight === 0)
    throw new UserError(`a term has weight 0 ('${match[0]}'): leave it out instead`, SYNTAX_HINT);
  return {weight, rest: text.slice(match[0].length)};
}

const emptyTerm = (what: string) => new UserError(`the query has an empty term (${what})`, SYNTAX_HINT);

/** A single-token term (not bare words): image:, id:, url: or a link; undefined for plain words. */
function specialTerm(text: string, weight: number): QueryTerm | undefined {
  const prefix = /^(image|id|url):/i.exec(text)?.[1]?.toLowerCase();
  const body = prefix ? text.slice(prefix.length + 1) : text;
  if (prefix === 'image') {
    if (body === '') throw emptyTerm('image: with no path');
    return {kind: 'image', image: body, weight};
  }
  if (prefix === 'id') {
    if (!/^\d+$/.test(body)) throw new UserError(`id: takes a row number, got '${body}'`, 'write id:42');
    return {kind: 'row', row: Number(body), weight};
  }
  if (prefix === 'url') return {kind: 'url', url: parseImageUrl(body, true), weight};
  if (looksLikeLink(text)) return {kind: 'url', url: parseImageUrl(text, false), weight};
  return undefined;
}

export function parseQuery(input: string): Query {
  const terms: QueryTerm[] = [];
  let sign: 1 | -1 = 1;
  let expectingTerm = true; // at the start or right after an operator
  let afterOperator = false;
  let words: string[] = [];
  let wordsWeight = 1;

  const flushWords = () => {
    if (words.length === 0) return;
    terms.push({kind: 'text', text: words.join(' '), weight: sign * wordsWeight});
    words = [];
    expectingTerm = false;
  };
  const startTerm = (what: string) => {
    if (words.length > 0) flushWords();
    if (!expectingTerm) throw new UserError(`put + or - before ${what} in the query`, SYNTAX_HINT);
    expectingTerm = false;
  };

  for (const token of lex(input)) {
    if (token.type === 'op') {
      if (words.length === 0 && afterOperator)
        throw new UserError('two operators in a row in the query', SYNTAX_HINT);
      flushWords();
      [afterOperator, sign, expectingTerm] = [true, token.sign, true];
      continue;
    }
    afterOperator = false;
    if (token.type === 'quoted') {
      // The glued prefix may hold a weight, then image: or url:; anything else is a stray quote.
      const outer = splitWeight(token.prefix);
      const kind = /^(image:|url:)?$/i.exec(outer?.rest ?? token.prefix)?.[1]?.toLowerCase();
      if (kind === undefined && (outer?.rest ?? token.prefix) !== '')
        throw new UserError(`unexpected quote after '${token.prefix}' in the query`, SYNTAX_HINT);
      startTerm(`"${token.text}"`);
      if (kind) {
        terms.push(specialTerm(`${kind}${token.text}`, sign * (outer?.weight ?? 1))!);
        continue;
      }
      const inner = splitWeight(token.text, true);
      if (outer && inner) throw new UserError(`two weights for "${token.text}"`, SYNTAX_HINT);
      const text = inner ? inner.rest.trim() : token.text;
      if (text === '') throw emptyTerm(`"${token.text}"`);
      terms.push({kind: 'text', text, weight: sign * (outer?.weight ?? inner?.weight ?? 1)});
      continue;
    }
    const weighted = splitWeight(token.text);
    if (weighted && words.length > 0)
      throw new UserError(`put + or - before '${token.text}': a weight starts a term`, SYNTAX_HINT);
    const text = weighted ? weighted.rest : token.text;
    if (weighted && text === '')
      throw new UserError(`the weight '${token.text}' has no term after it`, SYNTAX_HINT);
    if (weighted && splitWeight(text)) throw new UserError(`two weights in '${token.text}'`, SYNTAX_HINT);
    const special = specialTerm(text, sign * (weighted?.weight ?? 1));
    if (special) {
      startTerm(text);
      terms.push(special);
      continue;
    }
    if (words.length === 0) {
      if (!expectingTerm) throw new UserError(`put + or - before '${text}' in the query`, SYNTAX_HINT);
      wordsWeight = weighted?.weight ?? 1;
    }
    words.push(text);
  }
  flushWords();
  if (terms.length === 0) throw new UserError('the query is empty', SYNTAX_HINT);
  if (expectingTerm) throw new UserError('the query ends with an operator', SYNTAX_HINT);
  return {terms};
}

/** A one-line rendering, for headings and logs. */
export function describeQuery(query: Query): string {
  return query.terms
    .map((term, index) => {
      const sign = term.weight < 0 ? '- ' : index > 0 ? '+ ' : '';
      const magnitude = Math.abs(term.weight);
      const weight = magnitude === 1 ? '' : `${magnitude}*`;
      const body =
        term.kind === 'text'
          ? JSON.stringify(term.text)
          : term.kind === 'row'
            ? `id:${term.row}`
            : term.kind === 'url'
              ? `url:${term.url}`
              : typeof term.image === 'string'
                ? `image:${term.image}`
                : 'image:(upload)';
      return `${sign}${weight}${body}`;
    })
    .join(' ');
}
