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

test('W: weighs a term inside its quotes or before it; W* still works', () => {
  const table: [string, unknown[]][] = [
    [
      '"2:golden retriever" + beach - "text"',
      [
        {kind: 'text', text: 'golden retriever', weight: 2},
        {kind: 'text', text: 'beach', weight: 1},
        {kind: 'text', text: 'text', weight: -1},
      ],
    ],
    ['2:"golden retriever"', [{kind: 'text', text: 'golden retriever', weight: 2}]],
    ['"0.5: misty hills"', [{kind: 'text', text: 'misty hills', weight: 0.5}]],
    ['2:golden retriever', [{kind: 'text', text: 'golden retriever', weight: 2}]],
    [
      'cat - 1.5:dog',
      [
        {kind: 'text', text: 'cat', weight: 1},
        {kind: 'text', text: 'dog', weight: -1.5},
      ],
    ],
    ['- "3:fog"', [{kind: 'text', text: 'fog', weight: -3}]],
    [
      '0.5*"a b" + .25*c',
      [
        {kind: 'text', text: 'a b', weight: 0.5},
        {kind: 'text', text: 'c', weight: 0.25},
      ],
    ],
    [
      '2:image:"my photos/a.jpg" + 3:id:7',
      [
        {kind: 'image', image: 'my photos/a.jpg', weight: 2},
        {kind: 'row', row: 7, weight: 3},
      ],
    ],
    // Colons that are not weights stay text: times, ratios, labels.
    [
      '"10:30 train" + 16:9 screen',
      [
        {kind: 'text', text: '10:30 train', weight: 1},
        {kind: 'text', text: '16:9 screen', weight: 1},
      ],
    ],
    ['"note: rain"', [{kind: 'text', text: 'note: rain', weight: 1}]],
  ];
  for (const [input, terms] of table) assert.deepEqual(parseQuery(input).terms, terms, input);
});

test('image links are url terms; url: takes any http(s) link', () => {
  const table: [string, unknown[]][] = [
    [
      'https://example.com/cats/tabby.JPG',
      [{kind: 'url', url: 'https://example.com/cats/tabby.JPG', weight: 1}],
    ],
    [
      '"a beach" + 0.5*http://127.0.0.1:8080/x.webp?size=large - url:https://cdn.example.com/image?id=3',
      [
        {kind: 'text', text: 'a beach', weight: 1},
        {kind: 'url', url: 'http://127.0.0.1:8080/x.webp?size=large', weight: 0.5},
        {kind: 'url', url: 'https://cdn.example.com/image?id=3', weight: -1},
      ],
    ],
    ['2:url:"https://example.com/a b.png"', [{kind: 'url', url: 'https://example.com/a%20b.png', weight: 2}]],
    ['"https://example.com/page"', [{kind: 'text', text: 'https://example.com/page', weight: 1}]],
  ];
  for (const [input, terms] of table) assert.deepEqual(parseQuery(input).terms, terms, input);
  assert.equal(
    describeQuery(parseQuery('cat + 2:https://example.com/a.png')),
    '"cat" + 2*url:https://example.com/a.png',
  );
});

test('bad weights, empty terms, unbalanced quotes and bad links are clear user errors', () => {
  const table: [string, RegExp][] = [
    ['"golden retriever', /unclosed quote/],
    ['cat + "dog', /unclosed quote/],
    ['0:cat', /weight 0/],
    ['"0:cat"', /weight 0/],
    ['cat + 0.0*dog', /weight 0/],
    ['"-2:dog"', /sign: weights are positive/],
    ['"+2:dog"', /sign: weights are positive/],
    ['two*dog', /'two' is not a number/],
    ['1.2.3:dog', /'1.2.3' is not a number/],
    ['""', /empty term/],
    ['cat + ""', /empty term/],
    ['"2:"', /empty term/],
    ['2:""', /empty term/],
    ['image:', /empty term/],
    ['2:', /has no term after it/],
    ['cat + 0.5*', /has no term after it/],
    ['2:"3:cat"', /two weights/],
    ['0.5*2:cat', /two weights/],
    ['golden 2:retriever', /a weight starts a term/],
    ['id:abc', /row number/],
    ['https://example.com/page', /not to an image file/],
    ['url:ftp://example.com/a.jpg', /not an http or https link/],
    ['url:', /no link/],
    ['url:https://user:secret@example.com/a.jpg', /user name or password/],
    ['url:"not a link"', /not a valid link/],
  ];
  for (const [input, message] of table) {
    assert.throws(
      () => parseQuery(input),
      (error: Error & {hint?: string}) =>
        error.name === 'UserError' && message.test(error.message) && !!error.hint,
      input,
    );
  }
});
