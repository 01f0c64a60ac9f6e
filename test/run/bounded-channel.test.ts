/** The streaming run's queue: a full channel holds its producer back, so memory stays bounded by `capacity`. */
import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {setImmediate as tick} from 'node:timers/promises';
import {BoundedChannel, mergeSources} from '../../source/core/pipeline/bounded-channel.js';

describe('bounded channel', () => {
  test('a push into a full channel waits until the consumer takes', async () => {
    const channel = new BoundedChannel<number>(2);
    assert.equal(await channel.push(1), true);
    assert.equal(await channel.push(2), true);
    let third: boolean | undefined;
    const pending = channel.push(3).then((accepted) => {
      third = accepted;
    });
    await tick();
    await tick();
    assert.equal(third, undefined, 'the producer is blocked while the channel is full');
    assert.deepEqual(await channel.take(1), [1]);
    await pending;
    assert.equal(third, true, 'room made: the waiting push goes in');
    assert.deepEqual(await channel.take(5), [2, 3]);
    assert.equal(channel.highWater, 2);
  });

  test('a fast producer and a slow consumer: never more than capacity queued, nothing lost', async () => {
    const capacity = 4;
    const channel = new BoundedChannel<number>(capacity);
    let produced = 0;
    let consumed = 0;
    let mostAhead = 0;
    const producer = (async () => {
      for (let item = 0; item < 200; item++) {
        await channel.push(item);
        produced++;
        mostAhead = Math.max(mostAhead, produced - consumed);
      }
      channel.close();
    })();
    const seen: number[] = [];
    for (;;) {
      const got = await channel.take(3);
      if (got.length === 0) break;
      seen.push(...got);
      consumed += got.length;
      for (let spin = 0; spin < 5; spin++) await tick(); // a slow consumer
    }
    await producer;
    assert.deepEqual(
      seen,
      Array.from({length: 200}, (_, index) => index),
    );
    assert.ok(channel.highWater <= capacity, `high water ${channel.highWater} > ${capacity}`);
    // Queued plus the one push the producer is blocked on.
    assert.ok(mostAhead <= capacity + 1, `the producer ran ${mostAhead} items ahead`);
  });

  test('cancel releases a blocked producer with false and refuses later pushes', async () => {
    const channel = new BoundedChannel<string>(1);
    await channel.push('a');
    const blocked = channel.push('b');
    channel.cancel();
    assert.equal(await blocked, false);
    assert.equal(await channel.push('c'), false);
    assert.deepEqual(await channel.take(2), []);
  });

  test('take waits briefly for a batch to fill, then hands over what is there', async () => {
    const channel = new BoundedChannel<number>(8);
    await channel.push(1);
    setTimeout(() => void channel.push(2), 5);
    assert.deepEqual(await channel.take(4, {waitMs: 200}), [1, 2]);
    const signal = AbortSignal.abort();
    assert.deepEqual(await channel.take(4, {signal}), []);
  });

  test('merged sources close when all end; a failing source fails the consumer', async () => {
    async function* numbers(from: number) {
      for (let value = from; value < from + 3; value++) yield value;
    }
    const merged = mergeSources([numbers(0), numbers(10)], 2);
    const all: number[] = [];
    for await (const value of merged) all.push(value);
    assert.deepEqual(
      all.sort((a, b) => a - b),
      [0, 1, 2, 10, 11, 12],
    );
    async function* broken() {
      yield 1;
      throw new Error('source broke');
    }
    const failing = mergeSources([broken()], 2);
    await assert.rejects(async () => {
      for await (const _ of failing);
    }, /source broke/);
  });
});
