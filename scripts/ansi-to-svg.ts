/**
 * Turns a terminal screen captured with its colours (`tmux capture-pane -e -p`) into an SVG. Every run of text is
 * pinned to its grid columns (x and textLength), so the picture keeps its alignment whatever monospace font the
 * viewer substitutes.
 */
import {
  type Color,
  createAnsiSequenceParser,
  createColorPalette,
  type ParseToken,
} from 'ansi-sequence-parser';

export interface ScreenSvgOptions {
  columns: number;
  rows: number;
  /** Shown in the window's title bar. */
  title?: string;
}

const CELL_WIDTH = 8.4;
const LINE_HEIGHT = 18;
const FONT_SIZE = 14;
const PADDING = 14;
const TITLE_BAR = 30;
const FOREGROUND = '#d4d4d4';
const BACKGROUND = '#1e1e1e';
const palette = createColorPalette({
  black: '#000000',
  red: '#cd3131',
  green: '#0dbc79',
  yellow: '#e5e510',
  blue: '#2472c8',
  magenta: '#bc3fbc',
  cyan: '#11a8cd',
  white: '#e5e5e5',
  brightBlack: '#767676',
  brightRed: '#f14c4c',
  brightGreen: '#23d18b',
  brightYellow: '#f5f543',
  brightBlue: '#3b8eea',
  brightMagenta: '#d670d6',
  brightCyan: '#29b8db',
  brightWhite: '#ffffff',
});

interface Run {
  column: number;
  text: string;
  token: ParseToken;
}

/** Splits the parsed screen into lines of runs, each with the column it starts at. */
function screenLines(ansi: string): Run[][] {
  const lines: Run[][] = [[]];
  let column = 0;
  for (const token of createAnsiSequenceParser().parse(ansi)) {
    token.value.split('\n').forEach((part, index) => {
      if (index > 0) {
        lines.push([]);
        column = 0;
      }
      if (part === '') return;
      lines.at(-1)!.push({column, text: part, token});
      column += [...part].length;
    });
  }
  return lines;
}

const escapeXml = (text: string) =>
  text.replace(/[&<>"]/g, (char) => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;'})[char]!);

const colour = (color: Color | null, fallback: string) => (color === null ? fallback : palette.value(color));

function runSvg(run: Run, y: number): string {
  const {token} = run;
  if (token.decorations.has('hidden')) return '';
  const reverse = token.decorations.has('reverse');
  const fill = reverse ? colour(token.background, BACKGROUND) : colour(token.foreground, FOREGROUND);
  const background = reverse
    ? colour(token.foreground, FOREGROUND)
    : token.background && colour(token.background, '');
  const x = PADDING + run.column * CELL_WIDTH;
  const width = [...run.text].length * CELL_WIDTH;
  const parts: string[] = [];
  if (background)
    parts.push(
      `<rect x="${x.toFixed(1)}" y="${(y - FONT_SIZE).toFixed(1)}" width="${width.toFixed(1)}" height="${LINE_HEIGHT}" fill="${background}"/>`,
    );
  // Each stretch of words is placed at its own column: renderers collapse runs of spaces inside a text element.
  for (const word of run.text.matchAll(/\S+(?: \S+)*/g)) {
    const column = [...run.text.slice(0, word.index)].length;
    const attributes = [
      `x="${(x + column * CELL_WIDTH).toFixed(1)}"`,
      `y="${y}"`,
      `textLength="${([...word[0]].length * CELL_WIDTH).toFixed(1)}"`,
      'lengthAdjust="spacingAndGlyphs"',
      fill === FOREGROUND ? '' : `fill="${fill}"`,
      token.decorations.has('bold') ? 'font-weight="bold"' : '',
      token.decorations.has('dim') ? 'opacity="0.6"' : '',
      token.decorations.has('italic') ? 'font-style="italic"' : '',
      token.decorations.has('underline') ? 'text-decoration="underline"' : '',
    ].filter(Boolean);
    parts.push(`<text ${attributes.join(' ')}>${escapeXml(word[0])}</text>`);
  }
  return parts.join('');
}

/** The screen as an SVG window; blank rows at the bottom are left out. */
export function ansiScreenToSvg(ansi: string, {columns, rows, title = ''}: ScreenSvgOptions): string {
  const lines = screenLines(ansi).slice(0, rows);
  while (lines.length > 1 && lines.at(-1)!.every((run) => run.text.trim() === '' && !run.token.background))
    lines.pop();
  const width = PADDING * 2 + columns * CELL_WIDTH;
  const height = TITLE_BAR + PADDING * 2 + lines.length * LINE_HEIGHT;
  const body = lines
    .map((runs, row) => {
      const y = TITLE_BAR + PADDING + row * LINE_HEIGHT + FONT_SIZE;
      return runs.map((run) => runSvg(run, y)).join('');
    })
    .filter((line) => line !== '');
  const dots = ['#ff5f56', '#ffbd2e', '#27c93f']
    .map((fill, index) => `<circle cx="${20 + index * 20}" cy="15" r="6" fill="${fill}"/>`)
    .join('');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width.toFixed(0)}" height="${height}" viewBox="0 0 ${width.toFixed(1)} ${height}">`,
    `<rect width="100%" height="100%" rx="8" fill="${BACKGROUND}"/>`,
    dots,
    `<text x="${(width / 2).toFixed(1)}" y="20" text-anchor="middle" fill="#8c8c8c" font-family="sans-serif" font-size="13">${escapeXml(title)}</text>`,
    `<g font-family="'DejaVu Sans Mono', Menlo, Consolas, 'Liberation Mono', monospace" font-size="${FONT_SIZE}" fill="${FOREGROUND}">`,
    ...body,
    '</g>',
    '</svg>',
    '',
  ].join('\n');
}
