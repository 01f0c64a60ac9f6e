/** The waiting and failure lines the search and duplicates screens share, so both look and read alike. */
import {Box, Text} from 'ink';
import Spinner from 'ink-spinner';
import type {ReactNode} from 'react';

export interface Failure {
  message: string;
  /** The fix, when the error carries one (UserError's hint). */
  hint?: string | undefined;
}

/** What a rejected promise says, for a failure line. */
export function failureOf(error: unknown): Failure {
  return {
    message: error instanceof Error ? error.message : String(error),
    hint: (error as {hint?: unknown} | undefined)?.hint as string | undefined,
  };
}

/** A spinner and what is being waited for. */
export function BusyLine({children}: {children: ReactNode}) {
  return (
    <Text>
      <Text color="cyan">
        <Spinner type="dots" />
      </Text>{' '}
      {children}
    </Text>
  );
}

/** ✗ message, then the fix when there is one, then anything the screen adds (its key help). */
export function FailureLines({failure, children}: {failure: Failure; children?: ReactNode}) {
  return (
    <Box flexDirection="column">
      <Text color="red">✗ {failure.message}</Text>
      {failure.hint ? <Text dimColor> fix: {failure.hint}</Text> : null}
      {children}
    </Box>
  );
}
