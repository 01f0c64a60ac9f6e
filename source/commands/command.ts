import type {AnyFlags, TypedFlags} from 'meow';

/** The streams a command prints to; injected so tests can capture them. */
export interface Io {
  stdout: NodeJS.WritableStream & {isTTY?: boolean; columns?: number};
  stderr: NodeJS.WritableStream & {isTTY?: boolean};
  stdin: NodeJS.ReadableStream & {isTTY?: boolean; setRawMode?: (mode: boolean) => unknown};
}

/** Flags every command accepts. */
export const globalFlags = {
  json: {type: 'boolean', default: false},
  modelsDir: {type: 'string'},
  preset: {type: 'string'},
} as const satisfies AnyFlags;

export type GlobalFlags = TypedFlags<typeof globalFlags>;

export interface CommandContext<Flags> {
  /** Positional arguments after the command name. */
  input: string[];
  flags: Flags & GlobalFlags;
  io: Io;
  /** Aborted on the first Ctrl+C (SIGINT) or SIGTERM. */
  signal: AbortSignal;
  env: NodeJS.ProcessEnv;
  /** Flags the user typed explicitly (for presets: defaults < preset < explicit flags). */
  explicitFlags: ReadonlySet<string>;
}

export interface Command<F extends AnyFlags = AnyFlags> {
  name: string;
  summary: string;
  /** Help text shown by `visual-cortex NAME --help`. */
  usage: string;
  flags: F;
  /** Returns the process exit code. */
  run(context: CommandContext<TypedFlags<F>>): Promise<number>;
}

export function defineCommand<F extends AnyFlags>(command: Command<F>): Command<F> {
  return command;
}
