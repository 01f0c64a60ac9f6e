import assert from 'node:assert/strict';
import {test} from 'node:test';
import {ansiScreenToSvg} from '../../scripts/ansi-to-svg.js';

test('a captured screen becomes text pinned to its columns, with colours and weights', () => {
  const ansi = '\x1b[1mRun\n\x1b[0mkept  3 <ok>\n\x1b[33m  ! html-page\x1b[39m\n\x1b[2mdim\x1b[0m\n\n\n';
  const svg = ansiScreenToSvg(ansi, {columns: 20, rows: 6, title: 'a & b'});
  assert.match(svg, /<text x="14\.0" y="58" [^>]*font-weight="bold">Run<\/text>/);
  // Two spaces apart: two elements, the second at column 6 (14 + 6 x 8.4).
  assert.match(
    svg,
    /<text x="14\.0" y="76" [^>]*>kept<\/text><text x="64\.4" y="76" [^>]*>3 &lt;ok&gt;<\/text>/,
  );
  assert.match(svg, /<text x="30\.8" y="94" [^>]*fill="#e5e510"[^>]*>! html-page<\/text>/);
  assert.match(svg, /opacity="0\.6"[^>]*>dim</);
  assert.match(svg, />a &amp; b</);
  // Four rows of content: the blank ones at the bottom are cut.
  assert.match(svg, /height="130"/);
});
