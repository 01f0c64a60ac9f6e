/**
 * Every `visual-cortex ...` line in USAGE_GUIDE.md's code blocks parses against the real command definitions: a
 * flag no command declares (an old spelling, a typo) fails here. The cheap, offline ones (presets) run for real.
 */
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {readFileSync} from 'node:fs';
import {mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {describe, test} from 'node:test';
import {fileURLToPath} from 'node:url';
import {type Command, globalFlags} from '../../source/commands/command.js';
import {hiddenAliases} from '../../source/commands/options/flag-names.js';
import {commandLoaders} from '../../source/commands/registry.js';
import {findUnknownFlags} from '../../source/commands/unknown-flags.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const GUIDE = readFileSync(join(ROOT, 'USAGE_GUIDE.md'), 'utf8');

/** The command lines of the guide's fenced code blocks, with their line numbers. */
export function exampleLines(markdown: string): {line: number; text: string}[] {
  const found: {line: number; text: string}[] = [];
  let fenced = false;
  markdown.split('\n').forEach((raw, index) => {
    if (/^\s*```/.test(raw)) fenced = !fenced;
    else if (fenced) {
      const text = raw.trim().replace(/^\$ /, '');
      if (text.startsWith('visual-cortex ') || text === 'visual-cortex') found.push({line: index + 1, text});
    }
  });
  return found;
}

/** Shell words up to a comment, a redirection, a pipe or `&`; quotes kept out, synopsis brackets dropped. */
export function shellWords(text: string): string[] {
  const words: string[] = [];
  for (const match of text.matchAll(/'[^']*'|"[^"]*"|[^\s'"]+/g)) {
    const word = match[0];
    if (word.startsWith('#') || ['>', '&', '|', '&&', ';'].includes(word)) break;
    words.push(
      word.startsWith("'") || word.startsWith('"') ? word.slice(1, -1) : word.replace(/^\[+|\]+$/g, ''),
    );
  }
  return words.filter(Boolean);
}

const examples = exampleLines(GUIDE);

describe('USAGE_GUIDE.md examples', () => {
  test('there are examples for every command', () => {
    const named = new Set(examples.map(({text}) => shellWords(text)[1]));
    for (const name of Object.keys(commandLoaders)) {
      if (name === 'cluster' || name === 'worker') continue; // documented in docs/scale.md
      assert.ok(named.has(name), `no example of '${name}'`);
    }
  });

  for (const {line, text} of examples) {
    test(`line ${line}: ${text.slice(0, 70)}`, async () => {
      const [, name, ...rest] = shellWords(text);
      const command: Command =
        name !== undefined && commandLoaders[name] !== undefined
          ? await commandLoaders[name]!.load()
          : ((await import('../../source/commands/dashboard.js')).dashboardCommand as unknown as Command);
      const args = commandLoaders[name ?? ''] ? rest : shellWords(text).slice(1);
      const specs = {...globalFlags, ...command.flags};
      assert.deepEqual(findUnknownFlags(args, specs), [], `unknown flags at USAGE_GUIDE.md:${line}`);
      const old = Object.values(hiddenAliases(command.flags)).flat();
      for (const arg of args)
        assert.ok(
          !old.includes(arg.replace(/^--/, '').split('=')[0]!),
          `${arg} is an old name (line ${line})`,
        );
    });
  }

  test('the presets examples run for real', async () => {
    const config = await mkdtemp(join(tmpdir(), 'vc-guide-'));
    try {
      const lines = examples
        .map(({text}) => shellWords(text))
        .filter((words) => words[1] === 'presets' && !words.includes('NAME') && !words.includes('options'));
      assert.ok(lines.length >= 3);
      for (const words of lines) {
        const result = spawnSync(
          process.execPath,
          ['--import', import.meta.resolve('tsx'), join(ROOT, 'source/cli.tsx'), ...words.slice(1)],
          {cwd: config, encoding: 'utf8', input: '', env: {...process.env, VISUAL_CORTEX_CONFIG_DIR: config}},
        );
        assert.equal(result.status, 0, `${words.join(' ')}: ${result.stderr}`);
      }
    } finally {
      await rm(config, {recursive: true, force: true});
    }
  });
});
