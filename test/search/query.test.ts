import assert from 'node:assert/strict';
import {test} from 'node:test';
import {describeQuery, parseQuery} from '../../source/core/search/query.js';

test('bare words are one text term; hyphens and apostrophes inside words stay text', () => {
  assert.deepEqual(parseQuery('a red car').terms, [{kind: 'text', text: 'a red car', weight: 1}]);
  assert.deepEqual(parseQuery("  x-ray of O'Reilly's   cat ").terms, [
    {kind: 'text', text: "x-ray of O'Reilly's cat", weight: 1},
  ]);
  assert.deepEqual(parseQuery('"a + b - c"').terms, [{kind: 'text', text: 'a + b - c', weight: 1}]);
  assert.deepEqual(parseQuery('"say \\"cheese\\""').terms, [{kind: 'text', text: 'say "cheese"', weight: 1}]);
});

test('+ and - combine text, image and row terms, with optional weights', () => {
  assert.deepEqual(parseQuery('"cat" - "dog"').terms, [
    {kind: 'text', text: 'cat', weight: 1},
    {kind: 'text', text: 'dog', weight: -1},
  ]);
  assert.deepEqual(parseQuery('cat -dog +bird').terms, [
    {kind: 'text', text: 'cat', weight: 1},
    {kind: 'text', text: 'dog', weight: -1},
    {kind: 'text', text: 'bird', weight: 1},
  ]);
  assert.deepEqual(parseQuery('"beach" + image:photos/me.jpg - 0.5*id:42 + 2*"sunset glow"').terms, [
    {kind: 'text', text: 'beach', weight: 1},
    {kind: 'image', image: 'photos/me.jpg', weight: 1},
    {kind: 'row', row: 42, weight: -0.5},
    {kind: 'text', text: 'sunset glow', weight: 2},
  ]);
  assert.deepEqual(parseQuery('image:"my photos/a b.jpg" + .5*image:x.png').terms, [
    {kind: 'image', image: 'my photos/a b.jpg', weight: 1},
    {kind: 'image', image: 'x.png', weight: 0.5},
  ]);
  assert.deepEqual(parseQuery('- "dog"').terms, [{kind: 'text', text: 'dog', weight: -1}]);
  assert.equal(parseQuery('""').terms[0]?.kind, 'text');
});

test('malformed queries are user errors that show the syntax', () => {
  for (const [input, message] of [
    ['', /empty/],
    ['   ', /empty/],
    ['"cat', /unclosed quote/],
    ['"cat" -', /ends with an operator/],
    ['"cat" + - "dog"', /two operators/],
    ['"cat" "dog"', /put \+ or -/],
    ['"cat" dog', /put \+ or -/],
    ['cat image:x.jpg', /put \+ or -/],
    ['12"vinyl', /unexpected quote/],
    ['0*"cat"', /weight 0/],
  ] as const) {
    assert.throws(
      () => parseQuery(input),
      (error: Error & {hint?: string}) =>
        error.name === 'UserError' && message.test(error.message) && /"cat" - "dog"/.test(error.hint ?? ''),
      input,
    );
  }
});

test('describeQuery renders a parsed query back in the same syntax', () => {
  const text = '"beach" + image:me.jpg - 0.5*id:3';
  assert.equal(describeQuery(parseQuery(text)), text);
  assert.equal(describeQuery(parseQuery('a red car')), '"a red car"');
});
