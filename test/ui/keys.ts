import assert from 'node:assert/strict';

/** Key sequences for ink-testing-library's stdin, and a wait that lets Ink and React settle. */
export const KEYS = {
  up: '\u001B[A',
  down: '\u001B[B',
  right: '\u001B[C',
  left: '\u001B[D',
  enter: '\r',
  escape: '\u001B',
  tab: '\t',
  backspace: '\u007F',
  ctrlC: '\u0003',
} as const;

export const settle = (ms = 30) => new Promise((resolve) => setTimeout(resolve, ms));

export async function press(stdin: {write(data: string): void}, ...keys: string[]): Promise<void> {
  for (const key of keys) {
    stdin.write(key);
    await settle();
  }
}

/**
 * Retries an assertion until it passes or the time is up (Ink renders asynchronously; the machine may be busy: on
 * a shared 2-core host at load 15, a frame took over 3 s to follow a key). Returns as soon as the check passes.
 */
export async function eventually(check: () => void, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await settle(20);
    }
  }
}

/** Waits until the last frame matches, then for the screen's input handlers to be attached. */
export async function frameMatches(
  lastFrame: () => string | undefined,
  pattern: RegExp,
  timeoutMs?: number,
): Promise<void> {
  await eventually(() => assert.match(lastFrame() ?? '', pattern), timeoutMs);
  // Ink subscribes a screen's useInput in an effect that runs just after its first frame is drawn.
  await settle(40);
}
