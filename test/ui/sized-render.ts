/**
 * ink-testing-library's render with a terminal of a chosen size that can be resized (its own stdout is always
 * 100 columns and has no rows). Frames are the full outputs Ink writes in debug mode.
 */
import {EventEmitter} from 'node:events';
import {render as inkRender} from 'ink';
import type {ReactElement} from 'react';

export class FakeTerminal extends EventEmitter {
  isTTY = true;
  writes: string[] = [];
  constructor(
    public columns: number,
    public rows: number,
  ) {
    super();
  }
  write = (data: string) => {
    this.writes.push(data);
    return true;
  };
  resize(columns: number, rows: number): void {
    this.columns = columns;
    this.rows = rows;
    this.emit('resize');
  }
}

class FakeStdin extends EventEmitter {
  isTTY = true;
  data: string | null = null;
  write = (data: string) => {
    this.data = data;
    this.emit('readable');
    this.emit('data', data);
  };
  setEncoding() {}
  setRawMode() {}
  resume() {}
  pause() {}
  ref() {}
  unref() {}
  read = () => {
    const {data} = this;
    this.data = null;
    return data;
  };
}

export function renderSized(tree: ReactElement, terminal: FakeTerminal) {
  const stdin = new FakeStdin();
  const instance = inkRender(tree, {
    stdout: terminal as unknown as NodeJS.WriteStream,
    stderr: new FakeTerminal(80, 24) as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
    debug: true,
    exitOnCtrlC: false,
    patchConsole: false,
  });
  const lastFrame = () =>
    terminal.writes.filter((write) => !/^(\u001B\[[0-9;]*[A-Za-z])*$/.test(write)).at(-1);
  return {stdin, lastFrame, unmount: () => instance.unmount()};
}

/** Every line of a frame fits the terminal, and the frame leaves a row for the cursor (nothing scrolls). */
export function fits(frame: string, terminal: {columns: number; rows: number}): string[] {
  const problems: string[] = [];
  const lines = frame.replace(/\n$/, '').split('\n');
  if (lines.length >= terminal.rows)
    problems.push(`${lines.length} lines in a ${terminal.rows}-row terminal`);
  for (const line of lines) {
    const plain = line.replace(/\u001B\[[0-9;]*m/g, '');
    if ([...plain].length > terminal.columns) problems.push(`wider than ${terminal.columns}: ${plain}`);
  }
  return problems;
}
