/**
 * The deadline of a test or child process that is there only to catch a hang. CPU-bound work ran 5-8x slower
 * than alone on a shared 2-core host at load 15 (a child that takes 61 s alone passed 180 s there), so these
 * deadlines are generous: a hang still fails, and a busy machine does not.
 */
export const HANG_GUARD_MS = 600_000;
