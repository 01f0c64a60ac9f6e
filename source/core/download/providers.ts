/**
 * Where image URLs come from. Each provider becomes a stream of candidates that the workers pull from; URLs
 * already in the index are skipped for deterministic sources, so a resumed run never fetches them again.
 */
import {readdir, readFile, stat} from 'node:fs/promises';
import {extname, join, resolve} from 'node:path';
import {pathToFileURL} from 'node:url';
import {UserError} from '../errors.js';
import type {Candidate, SourceContext} from './candidate.js';
import {IMAGE_EXTENSIONS} from './sniff.js';
import type {ProviderName} from './types.js';
import {fetchUnsplashPages} from './unsplash.js';

export const DEFAULT_PICSUM_URL = 'https://picsum.photos';
export const DEFAULT_UNSPLASH_API_URL = 'https://api.unsplash.com';

export interface ProviderSettings {
  provider: ProviderName;
  width: number;
  height: number;
  urlTemplate?: string;
  urlsFile?: string;
  sourceDir?: string;
  imagesDir: string;
  picsumIds?: number[];
  /** --seed, or '' when none was given. */
  seed: string;
  /** Used for {seed} when no --seed was given: random per run. */
  runSeed: string;
  picsumBaseUrl: string;
  unsplashApiUrl: string;
  unsplashAccessKey?: string;
}

const PLACEHOLDERS = new Set(['width', 'height', 'index', 'seed']);

/** Checks what can be checked before any download starts; every problem is a UserError with its fix. */
export async function checkProviderSettings(settings: ProviderSettings): Promise<void> {
  const {provider} = settings;
  if (provider === 'custom') {
    if (!settings.urlTemplate) {
      throw new UserError(
        '--provider custom needs a URL template',
        "pass --url 'https://host/{width}/{height}?n={index}'",
      );
    }
    checkTemplate(settings.urlTemplate);
  } else if (provider === 'urls') {
    if (!settings.urlsFile)
      throw new UserError('--provider urls needs a file of URLs', 'pass --urls FILE (one URL a line)');
    await stat(settings.urlsFile).catch(() => {
      throw new UserError(`cannot read the URL list ${settings.urlsFile}`, 'check the path given to --urls');
    });
  } else if (provider === 'unsplash') {
    if (!settings.unsplashAccessKey) {
      throw new UserError(
        'the unsplash provider needs an Unsplash API access key',
        'set UNSPLASH_ACCESS_KEY (create one at https://unsplash.com/developers), or use --provider picsum',
      );
    }
    checkBaseUrl(settings.unsplashApiUrl, 'VISUAL_CORTEX_UNSPLASH_API_URL');
  } else if (provider === 'local') {
    if (!settings.sourceDir)
      throw new UserError('--provider local needs a folder to ingest', 'pass --from DIR');
    const info = await stat(settings.sourceDir).catch(() => null);
    if (!info?.isDirectory()) {
      throw new UserError(
        `${settings.sourceDir} is not a folder`,
        'pass an existing folder of images to --from',
      );
    }
    if (resolve(settings.sourceDir) === resolve(settings.imagesDir)) {
      throw new UserError('--from and --images are the same folder', 'ingest into a different --images');
    }
  } else if (provider === 'picsum') {
    checkBaseUrl(settings.picsumBaseUrl, 'VISUAL_CORTEX_PICSUM_URL');
  } else {
    throw new UserError(
      `unknown provider '${String(provider)}'`,
      'use picsum, unsplash, custom, urls or local',
    );
  }
}

function checkBaseUrl(url: string, envName: string): void {
  if (!/^https?:\/\/[^/]/i.test(url) || !URL.canParse(url)) {
    throw new UserError(`not an http(s) base URL: ${url}`, `check ${envName}`);
  }
}

function checkTemplate(template: string): void {
  for (const match of template.matchAll(/\{([^}]*)\}/g)) {
    if (!PLACEHOLDERS.has(match[1] ?? '')) {
      throw new UserError(
        `unknown placeholder {${match[1]}} in the URL template`,
        'use only {width}, {height}, {index} and {seed}',
      );
    }
  }
  const sample = fillTemplate(template, {width: 1, height: 1, index: 0, seed: '0'});
  if (!/^https?:\/\//i.test(sample) || !URL.canParse(sample)) {
    throw new UserError(
      `the URL template is not an http(s) URL: ${template}`,
      "start it with 'https://' or 'http://'",
    );
  }
}

export function fillTemplate(
  template: string,
  values: {width: number; height: number; index: number; seed: string},
): string {
  return template.replace(/\{(width|height|index|seed)\}/g, (_, name: keyof typeof values) =>
    encodeURIComponent(String(values[name])),
  );
}

/** A stable 32-bit number per (seed, index), so {seed} differs per image yet repeats across runs. */
export function seedFor(seed: string, index: number): string {
  let hash = 0x811c9dc5;
  for (const char of `${seed}:${index}`) {
    hash ^= char.charCodeAt(0);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return String(hash);
}

/** The candidates of a run, in order. Infinite for random sources: the run's budgets bound them. */
export async function* candidateSource(
  settings: ProviderSettings,
  context: SourceContext,
): AsyncGenerator<Candidate> {
  const {knownUrls} = context;
  const fresh = (url: string) => !knownUrls.has(url);
  const {width, height} = settings;
  const seed = settings.seed || settings.runSeed;
  switch (settings.provider) {
    case 'picsum': {
      const base = settings.picsumBaseUrl.replace(/\/+$/, '');
      if (settings.picsumIds) {
        for (const id of settings.picsumIds) {
          const url = `${base}/id/${id}/${width}/${height}`;
          if (fresh(url)) yield {url};
        }
        return;
      }
      for (let index = 0; ; index++) {
        // A seeded URL always shows the same image; an unseeded one asks for a fresh random image each time.
        const url =
          settings.seed === ''
            ? `${base}/${width}/${height}?random=${index}`
            : `${base}/seed/${seed}-${index}/${width}/${height}`;
        if (settings.seed === '' || fresh(url)) yield {url};
      }
    }
    case 'custom': {
      const template = settings.urlTemplate ?? '';
      const varies = /\{(index|seed)\}/.test(template);
      for (let index = 0; ; index++) {
        const url = fillTemplate(template, {width, height, index, seed: seedFor(seed, index)});
        if (!varies || fresh(url)) yield {url};
      }
    }
    case 'urls': {
      const text = await readFile(settings.urlsFile ?? '', 'utf8');
      for (const line of text.split(/\r?\n/)) {
        const url = line.trim();
        if (url === '' || url.startsWith('#')) continue;
        if (fresh(url)) yield {url};
      }
      return;
    }
    case 'local': {
      const root = resolve(settings.sourceDir ?? '');
      const names = (await readdir(root, {recursive: true})).filter(
        (name) => IMAGE_EXTENSIONS.has(extname(name).slice(1).toLowerCase()) && !/(^|[/\\])\./.test(name),
      );
      for (const name of names.sort()) {
        const localPath = join(root, name);
        const url = pathToFileURL(localPath).href;
        if (fresh(url)) yield {url, localPath};
      }
      return;
    }
    case 'unsplash':
      yield* fetchUnsplashPages(settings, context);
      return;
  }
}
