/** Flag names as typed, as declared and as shown: aliases resolve to the declared key; help shows one name. */
import type {AnyFlags} from 'meow';
import {flagOf} from '../../core/run/run-setup.js';

const camel = (name: string) => name.replace(/-([a-z0-9])/g, (_, char: string) => char.toUpperCase());

/** The declared keys of the flags typed in `argv` (`--images` and `--output-dir` both give `imagesDir`). */
export function explicitFlagNames(argv: readonly string[], specs: AnyFlags): Set<string> {
  const byName = new Map<string, string>();
  for (const [key, spec] of Object.entries(specs)) {
    byName.set(key, key);
    for (const alias of spec.aliases ?? []) byName.set(camel(alias), key);
  }
  const names = new Set<string>();
  for (const arg of argv) {
    if (arg === '--') break;
    const match = /^--(?:no-)?([a-z0-9-]+)/i.exec(arg);
    if (!match?.[1]) continue;
    const typed = camel(match[1]);
    names.add(byName.get(typed) ?? typed);
  }
  return names;
}

/** Every spelling a flag accepts (kebab-case), mapped to the name --help shows for it. */
export function spellingsToShownNames(specs: AnyFlags): Map<string, string> {
  const kebab = (name: string) => name.replace(/[A-Z]/g, (char) => `-${char.toLowerCase()}`);
  const names = new Map<string, string>();
  for (const [key, spec] of Object.entries(specs)) {
    const shown = flagOf(key).slice(2);
    for (const name of [shown, kebab(key), ...(spec.aliases ?? []).map(kebab)])
      if (!names.has(name)) names.set(name, shown);
  }
  return names;
}

/** The name --help shows for each declared flag (`imagesDir` → `images`); hidden aliases are left out. */
export function shownFlagNames(specs: AnyFlags): string[] {
  return Object.keys(specs).map((key) => flagOf(key).slice(2));
}

/** The old spellings each flag still accepts without showing them, kebab-case. */
export function hiddenAliases(specs: AnyFlags): Record<string, string[]> {
  const hidden: Record<string, string[]> = {};
  for (const [key, spec] of Object.entries(specs)) {
    const shown = flagOf(key).slice(2);
    const old = (spec.aliases ?? []).filter((alias) => alias !== shown);
    if (old.length > 0) hidden[shown] = old;
  }
  return hidden;
}
