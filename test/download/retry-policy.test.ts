import assert from 'node:assert/strict';
import {test} from 'node:test';
import {
  backoffDelayMs,
  DEFAULT_RETRY_POLICY,
  isRetryable,
  parseRetryAfter,
  reasonForStatus,
  retryDelayMs,
} from '../../source/core/download/retry-policy.js';
import {hasImageEnd, looksLikeHtml, sniffImageType} from '../../source/core/download/sniff.js';

test('backoff doubles, is capped, and its jitter spans half the delay', () => {
  const policy = {...DEFAULT_RETRY_POLICY, baseDelayMs: 100, maxDelayMs: 1000};
  assert.deepEqual(
    [1, 2, 3, 4, 5].map((retry) => backoffDelayMs(retry, policy, () => 0)),
    [50, 100, 200, 400, 500],
  );
  assert.deepEqual(
    [1, 2, 3, 4, 5].map((retry) => backoffDelayMs(retry, policy, () => 0.999999)),
    [100, 200, 400, 800, 1000],
  );
});

test('Retry-After: seconds and HTTP-dates, capped; backoff when absent', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  assert.equal(parseRetryAfter('7', now), 7000);
  assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now), 30_000);
  assert.equal(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now), 0);
  assert.equal(parseRetryAfter('soon', now), null);
  assert.equal(parseRetryAfter(undefined, now), null);
  const policy = {...DEFAULT_RETRY_POLICY, retryAfterCapMs: 10_000};
  assert.equal(
    retryDelayMs(1, policy, () => 0.5, 3_600_000),
    10_000,
  );
  assert.equal(
    retryDelayMs(1, policy, () => 0, null),
    250,
  );
});

test('a negative, fractional or malformed Retry-After falls back to backoff', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  for (const value of [
    '-5',
    '-0',
    '1.5',
    '1e3',
    '5 seconds',
    '',
    '2026-01-01T00:00:30Z',
    '-Thu, 01 Jan 2026',
  ])
    assert.equal(parseRetryAfter(value, now), null, `'${value}'`);
  assert.equal(parseRetryAfter(' 3 ', now), 3000);
  assert.equal(parseRetryAfter('Thursday, 01-Jan-26 00:00:10 GMT', now), 10_000);
  assert.equal(parseRetryAfter('Thu Jan  1 00:00:20 2026', now), 20_000);
  const policy = DEFAULT_RETRY_POLICY;
  assert.deepEqual(
    [1, 2, 3].map((retry) => retryDelayMs(retry, policy, () => 0.5, parseRetryAfter('-5', now))),
    [375, 750, 1500],
  );
});

test('which failures are retried', () => {
  assert.deepEqual(
    [500, 502, 503, 429, 408, 404, 403, 401, 410, 400].map((status) => [
      status,
      isRetryable(reasonForStatus(status), status),
    ]),
    [
      [500, true],
      [502, true],
      [503, true],
      [429, true],
      [408, true],
      [404, false],
      [403, false],
      [401, false],
      [410, false],
      [400, false],
    ],
  );
  for (const reason of ['timeout', 'reset', 'connect', 'truncated'] as const) assert.ok(isRetryable(reason));
  for (const reason of [
    'html-page',
    'not-an-image',
    'undecodable',
    'too-large',
    'redirect',
    'bad-url',
  ] as const) {
    assert.ok(!isRetryable(reason), reason);
  }
});

test('magic numbers, HTML pages and end markers', () => {
  const bytes = (...values: number[]) => Uint8Array.from([...values, ...new Array(16).fill(0)]);
  assert.equal(sniffImageType(bytes(0xff, 0xd8, 0xff, 0xe0)), 'jpeg');
  assert.equal(sniffImageType(Buffer.from('\x89PNG\r\n\x1a\n........', 'latin1')), 'png');
  assert.equal(sniffImageType(Buffer.from('RIFF....WEBPVP8 ', 'latin1')), 'webp');
  assert.equal(sniffImageType(Buffer.from('GIF89a..........', 'latin1')), 'gif');
  assert.equal(sniffImageType(Buffer.from('....ftypavif....', 'latin1')), 'avif');
  assert.equal(sniffImageType(Buffer.from('<!doctype html><html>', 'latin1')), null);
  assert.ok(looksLikeHtml(Buffer.from('\uFEFF  \n<!DOCTYPE HTML><p>', 'utf8')));
  assert.ok(!looksLikeHtml(bytes(0xff, 0xd8)));
  assert.ok(hasImageEnd(Uint8Array.from([0xff, 0xd8, 1, 2, 0xff, 0xd9, 0, 0]), 'jpeg'));
  assert.ok(!hasImageEnd(Uint8Array.from([0xff, 0xd8, 1, 2, 3, 4]), 'jpeg'));
});
