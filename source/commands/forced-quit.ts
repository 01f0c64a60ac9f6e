/**
 * The forced quit (a second Ctrl+C, in a command or the dashboard): remove the temp files being written, then
 * end by the signal itself, with its default action. process.exit would run native teardown while onnxruntime
 * sessions still run in worker threads, and that aborted (`terminate called after throwing an instance of
 * 'Napi::Error'`, SIGABRT) in 5 of 8 tries with the full-size model; death by SIGINT runs no teardown, and
 * shells report it as 130 (128 + 2), as for any program stopped by Ctrl+C.
 */
import {commitInProgress, commitsSettled, removeTrackedTempFiles} from '../core/fs/temp-files.js';

let quitting = false;

/** Whether a forced quit has begun (a further Ctrl+C then skips what it waits for). */
export function isQuitting(): boolean {
  return quitting;
}

export interface QuitOptions {
  /** Says why the quit waits (an output set being committed). */
  stderr: NodeJS.WritableStream;
  /** Leaves the terminal as it was found (raw mode off, cursor shown); runs first, synchronously. */
  restoreTerminal?: () => void;
}

/**
 * Quits now; a commit in progress (the renames of one output set) finishes first, unless this is a second forced
 * quit. Does not return control to an orderly shutdown.
 */
export function quitNow(signal: 'SIGINT' | 'SIGTERM', options: QuitOptions): void {
  if (quitting) {
    endBySignal(signal);
    return;
  }
  quitting = true;
  options.restoreTerminal?.();
  if (!commitInProgress()) {
    endBySignal(signal);
    return;
  }
  options.stderr.write('finishing the outputs being written… (Ctrl+C again to quit without waiting)\n');
  void commitsSettled().then(() => endBySignal(signal));
}

function endBySignal(signal: 'SIGINT' | 'SIGTERM'): void {
  removeTrackedTempFiles();
  // Without listeners Node gives the signal back its default action, which ends the process in the kernel.
  process.removeAllListeners(signal);
  process.kill(process.pid, signal);
  // Not reached unless the signal is blocked: then leave with the exit code of an interrupted run.
  setTimeout(() => process.exit(130), 1000);
}
