/**
 * The one table of exit codes. Every command returns through it, and `visual-cortex --help`, USAGE_GUIDE.md and
 * README.md document the same table.
 */
export const EXIT = {
  /** Everything asked for was done. */
  done: 0,
  /** The job ended short of what was asked (fewer images than --count), or a check failed. */
  short: 1,
  /** The user's error: usage, a missing folder, a bad model; the message names the fix. */
  usage: 2,
  /** A bug in visual-cortex (the message asks for a report). */
  bug: 70,
  /** Stopped by Ctrl+C or SIGTERM; the outputs written are consistent and the same command resumes. */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The exit code of a job's report: interrupted wins over short, short over done. */
export function exitCodeFor(outcome: {interrupted: boolean; complete: boolean}): ExitCode {
  if (outcome.interrupted) return EXIT.interrupted;
  return outcome.complete ? EXIT.done : EXIT.short;
}

export const EXIT_CODES_HELP = `  Exit status
    0    done
    1    ended short (fewer images than --count) or a check failed
    2    the user's error: usage, a missing folder, a bad model (the message says how to fix it)
    130  interrupted by Ctrl+C or SIGTERM: the first stops gracefully and leaves consistent outputs that
         the same command resumes; a second quits at once
    70   a bug in visual-cortex (please report it)`;
