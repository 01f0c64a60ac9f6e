/**
 * The terminal's size for the screens (they fit their output to it, since Ink scrolls a frame taller than the
 * terminal and the top lines are lost), and the clean-up a shrink needs before Ink draws again.
 */
import {useStdout} from 'ink';
import {useEffect, useState} from 'react';

export interface TerminalSize {
  columns: number;
  rows: number;
}

type SizedStream = Pick<NodeJS.WriteStream, 'on' | 'off' | 'write'> & {columns?: number; rows?: number};

function sizeOf(stdout: SizedStream): TerminalSize {
  return {columns: stdout.columns || 80, rows: stdout.rows || 24};
}

export function useTerminalSize(): TerminalSize {
  const {stdout} = useStdout();
  const [size, setSize] = useState(() => sizeOf(stdout));
  useEffect(() => {
    const onResize = () => setSize(sizeOf(stdout));
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]);
  return size;
}

/** Clears the screen and its scrollback. */
export const CLEAR_TERMINAL = '\u001B[2J\u001B[3J\u001B[H';

/**
 * When the terminal shrinks it re-wraps the lines already drawn, so Ink erases fewer lines than are there and the
 * old header stays above the new frame. Clearing the screen first leaves only the new frame. Call before Ink's
 * render(), so this listener runs before Ink's own; returns the function that stops it.
 */
export function clearOnShrink(stdout: SizedStream): () => void {
  let last = sizeOf(stdout);
  const onResize = () => {
    const next = sizeOf(stdout);
    if (next.columns < last.columns || next.rows < last.rows) stdout.write(CLEAR_TERMINAL);
    last = next;
  };
  stdout.on('resize', onResize);
  return () => {
    stdout.off('resize', onResize);
  };
}
