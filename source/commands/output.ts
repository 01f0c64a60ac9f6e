import {isUserError} from '../core/errors.js';
import type {Io} from './command.js';
import {EXIT, type ExitCode} from './exit-codes.js';

export function printJson(io: Io, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printLine(io: Io, line = ''): void {
  io.stdout.write(`${line}\n`);
}

/** Prints an error the way users should see it: user errors with their fix, bugs with a stack trace. */
export function reportError(io: Io, error: unknown, json: boolean): ExitCode {
  if (isUserError(error)) {
    if (json) {
      io.stdout.write(
        `${JSON.stringify({error: {message: error.message, hint: error.hint ?? null}}, null, 2)}\n`,
      );
    }
    io.stderr.write(`error: ${error.message}\n`);
    if (error.hint) io.stderr.write(`  fix: ${error.hint}\n`);
    return EXIT.usage;
  }
  io.stderr.write('internal error (a bug in visual-cortex; please report it):\n');
  io.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return EXIT.bug;
}

export {formatBytes} from '../ui/format.js';
