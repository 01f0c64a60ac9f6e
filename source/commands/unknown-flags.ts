import {closestMatch} from 'leven';
import type {AnyFlags} from 'meow';
import {UserError} from '../core/errors.js';
import {spellingsToShownNames} from './options/flag-names.js';

/** Flags meow adds to every command. */
const BUILT_IN = ['help', 'version'];

const kebab = (name: string) => name.replace(/[A-Z]/g, (char) => `-${char.toLowerCase()}`);
const isNegativeNumber = (arg: string) => /^-(?:\d+|\d*\.\d+)(?:e[+-]?\d+)?$/i.test(arg);

/** Every long name (kebab-case) and short letter that `specs` declares. */
function knownNames(specs: AnyFlags): {long: Set<string>; short: Set<string>} {
  const long = new Set(BUILT_IN);
  const short = new Set<string>();
  for (const [name, spec] of Object.entries(specs)) {
    long.add(kebab(name));
    for (const alias of spec.aliases ?? []) long.add(kebab(alias));
    if (spec.shortFlag) short.add(spec.shortFlag);
  }
  return {long, short};
}

/**
 * The flags in `argv` that `specs` does not declare, as typed (`--cout`, `-x`). Like meow, it looks at every
 * argument that starts with a dash before a bare `--`: a flag's value never does (negative numbers aside).
 */
export function findUnknownFlags(argv: readonly string[], specs: AnyFlags): string[] {
  const {long, short} = knownNames(specs);
  const unknown: string[] = [];
  for (const arg of argv) {
    if (arg === '--') break;
    if (!arg.startsWith('-') || arg === '-' || isNegativeNumber(arg)) continue;
    if (arg.startsWith('--')) {
      const name = kebab(arg.slice(2).split('=')[0]!);
      const known = long.has(name) || (name.startsWith('no-') && long.has(name.slice(3)));
      if (!known) unknown.push(`--${arg.slice(2).split('=')[0]}`);
    } else if ([...arg.slice(1).split('=')[0]!].some((letter) => !short.has(letter))) {
      unknown.push(arg.split('=')[0]!);
    }
  }
  return unknown;
}

/**
 * A UserError for the first unknown flag in `argv`, naming the closest declared one when it is near enough to be
 * a typo, or undefined when every flag is known. `helpCommand` is what to run for the command's options.
 */
export function unknownFlagError(
  argv: readonly string[],
  specs: AnyFlags,
  helpCommand: string,
): UserError | undefined {
  const [first] = findUnknownFlags(argv, specs);
  if (first === undefined) return undefined;
  const typed = first.replace(/^--?(no-)?/, '');
  // A typo of an old spelling is answered with the name --help shows for that flag.
  const spellings = spellingsToShownNames(specs);
  const candidates = [...spellings.keys()];
  // A third of the name (at least 2 edits) separates a typo from a different word.
  const maxDistance = Math.max(2, Math.floor(typed.length / 3));
  const match = first.startsWith('--') ? closestMatch(typed, candidates, {maxDistance}) : undefined;
  const closest = match === undefined ? undefined : spellings.get(match);
  return new UserError(
    `unknown flag ${first}${closest === undefined ? '' : ` (did you mean --${closest}?)`}`,
    `run '${helpCommand} --help' for its options`,
  );
}
