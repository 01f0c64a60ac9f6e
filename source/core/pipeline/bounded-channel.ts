/**
 * A bounded channel between producers and one consumer: `push` waits while `capacity` items are queued
 * (backpressure: a fast producer is held, nothing is buffered without limit), `take(max)` hands over up to `max`
 * items, waiting for the first and then, briefly, for more, so batches form from what is there. `close()` says no
 * more will come (what is queued still drains); `cancel()` is the consumer giving up: waiting and later pushes are
 * refused (they resolve false) and what was queued is dropped.
 *
 * Hand-written rather than a library: p-queue bounds tasks running, not items waiting, and it-pushable's buffer is
 * unbounded; neither takes "what is there after a short wait" as a batch.
 */
export interface TakeOptions {
  /** Once one item is there, how long to wait for `max` (default 0: take what is there). */
  waitMs?: number;
  /** Stops the wait; take then returns what it has (possibly nothing). */
  signal?: AbortSignal | undefined;
}

export class BoundedChannel<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  /** Pushes waiting for room, in order. */
  private readonly waiting: {item: T; resolve: (accepted: boolean) => void}[] = [];
  private readonly wakers = new Set<() => void>();
  private ended = false;
  private dropped = false;
  private failure: {error: unknown} | undefined;
  /** The most items that were ever queued at once (for tests and reports). */
  highWater = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new Error(`capacity must be >= 1, got ${capacity}`);
  }

  /** A closed channel holding `items` (a list known in full: its end is known from the start). */
  static of<T>(items: readonly T[]): BoundedChannel<T> {
    const channel = new BoundedChannel<T>(Math.max(1, items.length));
    for (const item of items) channel.enqueue(item);
    channel.close();
    return channel;
  }

  /** Items the consumer can take now (queued, and pushed but waiting for room). */
  get available(): number {
    return this.items.length + this.waiting.length;
  }

  /** No more pushes will be accepted. */
  get closed(): boolean {
    return this.ended;
  }

  /** Closed and drained: nothing more will come out. */
  get done(): boolean {
    return this.ended && this.available === 0;
  }

  get cancelled(): boolean {
    return this.dropped;
  }

  /** Resolves true once the item is queued, false when the channel was closed or cancelled first. */
  push(item: T): Promise<boolean> {
    if (this.ended) return Promise.resolve(false);
    if (this.items.length < this.capacity) {
      this.enqueue(item);
      return Promise.resolve(true);
    }
    return new Promise((resolve) => this.waiting.push({item, resolve}));
  }

  close(): void {
    if (this.ended) return;
    this.ended = true;
    this.wake();
  }

  /** A producer failed: the consumer's next take throws `error` (after nothing: items queued are dropped). */
  fail(error: unknown): void {
    this.failure ??= {error};
    this.cancel();
  }

  cancel(): void {
    this.ended = true;
    this.dropped = true;
    this.items.length = 0;
    for (const pending of this.waiting.splice(0)) pending.resolve(false);
    this.wake();
  }

  async take(max: number, options: TakeOptions = {}): Promise<T[]> {
    const {signal} = options;
    while (this.available === 0 && !this.ended && !signal?.aborted) await this.changed(signal);
    const waitMs = options.waitMs ?? 0;
    if (waitMs > 0 && this.available > 0 && this.available < max && !this.ended) {
      const deadline = performance.now() + waitMs;
      while (this.available < max && !this.ended && !signal?.aborted) {
        const left = deadline - performance.now();
        if (left <= 0) break;
        await this.changed(signal, left);
      }
    }
    if (this.failure) throw this.failure.error;
    const taken = this.items.splice(0, max);
    while (taken.length < max && this.waiting.length > 0) taken.push(this.waiting.shift()!.item);
    // Room was made: admit waiting pushes in order.
    while (this.items.length < this.capacity && this.waiting.length > 0) {
      const next = this.waiting.shift()!;
      this.enqueue(next.item);
      next.resolve(true);
    }
    return taken;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      const taken = await this.take(1);
      if (taken.length === 0) return;
      yield taken[0] as T;
    }
  }

  private enqueue(item: T): void {
    this.items.push(item);
    this.highWater = Math.max(this.highWater, this.items.length);
    this.wake();
  }

  private wake(): void {
    for (const waker of [...this.wakers]) waker();
  }

  /** Settles on the next push, close or cancel, on abort, or after `timeoutMs`. */
  private changed(signal: AbortSignal | undefined, timeoutMs?: number): Promise<void> {
    const wakers = this.wakers;
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        wakers.delete(done);
        resolve();
      };
      if (timeoutMs !== undefined) timer = setTimeout(done, timeoutMs);
      wakers.add(done);
      signal?.addEventListener('abort', done, {once: true});
    });
  }
}

/**
 * One channel fed by several sources in turn (each push waits its turn, so a busy source cannot starve another);
 * it closes when every source is done, and a source that throws fails it. Cancelling it stops the sources.
 */
export function mergeSources<T>(sources: readonly AsyncIterable<T>[], capacity: number): BoundedChannel<T> {
  const channel = new BoundedChannel<T>(capacity);
  let open = sources.length;
  if (open === 0) channel.close();
  for (const source of sources) {
    (async () => {
      for await (const item of source) if (!(await channel.push(item))) break;
    })().then(
      () => {
        if (--open === 0) channel.close();
      },
      (error: unknown) => channel.fail(error),
    );
  }
  return channel;
}
