/**
 * Search queries: one or more weighted terms, combined as the normalised sum of their normalised embeddings.
 *
 * Text syntax (see USAGE_GUIDE.md, section search):
 *   a red car                       bare words are one text term
 *   "cat" - "dog"                   `+` / `-` at the start of a token combine terms; quote text that has them
 *   "beach" + image:photos/me.jpg   an image file as a term (`image:"path with spaces.jpg"` for spaces)
 *   "sunset" + 0.5*id:42            `W*` weighs a term; `id:N` is the stored image in row N
 */
import {UserError} from '../errors.js';

export type QueryTerm =
  | {kind: 'text'; text: string; weight: number}
  | {kind: 'image'; image: string | Uint8Array; weight: number}
  | {kind: 'row'; row: number; weight: number};

export interface Query {
  terms: QueryTerm[];
}

export const textQuery = (text: string): Query => ({terms: [{kind: 'text', text, weight: 1}]});
export const imageQuery = (image: string | Uint8Array): Query => ({
  terms: [{kind: 'image', image, weight: 1}],
});
export const rowQuery = (row: number): Query => ({terms: [{kind: 'row', row, weight: 1}]});

type Token = {type: 'op'; sign: 1 | -1} | {type: 'quoted'; text: string} | {type: 'word'; text: string};

const SYNTAX_HINT =
  'write terms like: a red car   or   "cat" - "dog" + image:photo.jpg + 0.5*id:3 (quote text that starts with + or -)';

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
      tokens.push({type: 'quoted', text: quoted.text});
      i = quoted.next;
      tokenStart = true;
    } else if ((char === '+' || char === '-') && tokenStart) {
      tokens.push({type: 'op', sign: char === '+' ? 1 : -1});
      i++;
    } else {
      let end = i;
      while (end < input.length && !/\s/.test(input[end]!) && input[end] !== '"') end++;
      let text = input.slice(i, end);
      // `image:"a b.jpg"` and `0.5*"text"`: a prefix glued to a quoted string.
      if (input[end] === '"' && /(^|\*)image:$/i.test(text)) {
        const quoted = readQuoted(input, end);
        text += quoted.text;
        end = quoted.next;
      } else if (input[end] === '"' && !/\*$/.test(text)) {
        throw new UserError(`unexpected quote after '${text}' in the query`, SYNTAX_HINT);
      }
      tokens.push({type: 'word', text});
      i = end;
      tokenStart = false;
    }
  }
  return tokens;
}

const WEIGHT = /^(\d+(?:\.\d+)?|\.\d+)\*/;

export function parseQuery(input: string): Query {
  const tokens = lex(input);
  const terms: QueryTerm[] = [];
  let sign: 1 | -1 = 1;
  let weight = 1;
  let expectingTerm = true; // at the start or right after an operator
  let afterOperator = false;
  let words: string[] = [];

  const flushWords = () => {
    if (words.length === 0) return;
    terms.push({kind: 'text', text: words.join(' '), weight: sign * weight});
    words = [];
    expectingTerm = false;
  };
  const startTerm = (what: string) => {
    if (!expectingTerm) throw new UserError(`put + or - before ${what} in the query`, SYNTAX_HINT);
  };

  for (const token of tokens) {
    if (token.type !== 'op') afterOperator = false;
    if (token.type === 'op') {
      if (words.length === 0 && afterOperator)
        throw new UserError('two operators in a row in the query', SYNTAX_HINT);
      flushWords();
      afterOperator = true;
      sign = token.sign;
      weight = 1;
      expectingTerm = true;
      continue;
    }
    if (token.type === 'quoted') {
      if (words.length > 0) flushWords();
      startTerm(`"${token.text}"`);
      terms.push({kind: 'text', text: token.text, weight: sign * weight});
      expectingTerm = false;
      continue;
    }
    let text = token.text;
    const weighted = WEIGHT.exec(text);
    if (weighted && words.length === 0 && expectingTerm) {
      weight = Number(weighted[1]);
      text = text.slice(weighted[0].length);
      if (text === '') continue; // `0.5*"text"`: the quoted term follows
    }
    const image = /^image:(.+)$/is.exec(text);
    const row = /^id:(\d+)$/i.exec(text);
    if (image || row) {
      if (words.length > 0) flushWords();
      startTerm(text);
      terms.push(
        image
          ? {kind: 'image', image: image[1]!, weight: sign * weight}
          : {kind: 'row', row: Number(row![1]), weight: sign * weight},
      );
      expectingTerm = false;
      continue;
    }
    if (words.length === 0) startTerm(`'${text}'`);
    words.push(text);
  }
  flushWords();
  if (terms.length === 0) throw new UserError('the query is empty', SYNTAX_HINT);
  if (expectingTerm) throw new UserError('the query ends with an operator', SYNTAX_HINT);
  if (terms.every((term) => term.weight === 0)) throw new UserError('every term has weight 0', SYNTAX_HINT);
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
            : typeof term.image === 'string'
              ? `image:${term.image}`
              : 'image:(upload)';
      return `${sign}${weight}${body}`;
    })
    .join(' ');
}
