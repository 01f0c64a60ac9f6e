/**
 * The download option group: one definition (flag, default, help line, parsing) shared by `download`, `run`,
 * `presets save`, the dashboard and `cluster submit`, so the commands cannot drift apart.
 */
import type {AnyFlags} from 'meow';
import {DOWNLOAD_DEFAULTS, downloadEnvironment} from '../../core/download/settings.js';
import type {DownloadOptions} from '../../core/download/types.js';
import {parseProvider} from '../../core/enums.js';
import {UserError} from '../../core/errors.js';
import {type DownloadTuning, RUN_DEFAULTS} from '../../core/run/run-setup.js';

export const downloadFlags = {
  provider: {type: 'string', default: RUN_DEFAULTS.provider},
  count: {type: 'number', default: RUN_DEFAULTS.count},
  width: {type: 'number', default: RUN_DEFAULTS.width},
  height: {type: 'number', default: RUN_DEFAULTS.height},
  workers: {type: 'number', default: RUN_DEFAULTS.workers},
  url: {type: 'string'},
  urls: {type: 'string'},
  sourceDir: {type: 'string', aliases: ['from', 'input-dir']},
  ids: {type: 'string'},
  seed: {type: 'string'},
  maxAttempts: {type: 'number'},
  maxSeconds: {type: 'number'},
  sleepOk: {type: 'number'},
  sleepFail: {type: 'number'},
  minBytes: {type: 'number'},
  maxBytes: {type: 'number'},
  retries: {type: 'number'},
  timeout: {type: 'number'},
} as const satisfies AnyFlags;

export type DownloadFlagName = keyof typeof downloadFlags;

export const DOWNLOAD_HELP: Record<DownloadFlagName, string> = {
  provider: '--provider NAME       picsum (default), unsplash (UNSPLASH_ACCESS_KEY), custom, urls, local',
  count: `--count N             valid images wanted in the images folder, those already there included (default ${RUN_DEFAULTS.count})`,
  width: `--width W --height H  image size for picsum, unsplash and custom (default ${RUN_DEFAULTS.width}x${RUN_DEFAULTS.height})`,
  height: '',
  workers: `--workers N           parallel downloads (default ${RUN_DEFAULTS.workers})`,
  url: '--url TEMPLATE        custom: a URL with {width} {height} {index} {seed}',
  urls: '--urls FILE           urls: a text file of URLs, one a line (blank lines and # comments skipped)',
  sourceDir: '--from DIR            local: a folder whose images are copied into the images folder',
  ids: '--ids LIST            picsum: fixed image ids, e.g. 10,20-25',
  seed: '--seed S              makes picsum and the {seed} placeholder repeatable',
  maxAttempts:
    '--max-attempts N      HTTP attempts for the run, retries included (default 4 x images missing, at least 10)',
  maxSeconds: '--max-seconds S       stop the download after S seconds',
  sleepOk: '--sleep-ok S          pause per worker after each kept image (politeness)',
  sleepFail: '--sleep-fail S        pause per worker after each failed image',
  minBytes: `--min-bytes N         smallest body kept (default ${DOWNLOAD_DEFAULTS.minBytes})`,
  maxBytes: `--max-bytes N         largest body kept; bigger ones are cut off (default ${DOWNLOAD_DEFAULTS.maxBytes})`,
  retries: '--retries N           retries per image for transient failures (default 3)',
  timeout: '--timeout S           longest single attempt in seconds (default 120)',
};

/** Help lines for `names` (all of the group by default). */
export function downloadHelp(
  names: readonly DownloadFlagName[] = Object.keys(downloadFlags) as DownloadFlagName[],
) {
  return names.map((name) => DOWNLOAD_HELP[name]).filter(Boolean);
}

type DownloadFlagValues = {[K in DownloadFlagName]?: unknown};

const num = (value: unknown) => (typeof value === 'number' ? value : undefined);
const str = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);

/** The options beyond the set-up screen's, checked: every bad value is a UserError naming its flag. */
export function downloadTuningFromFlags(flags: DownloadFlagValues): DownloadTuning {
  const retries = num(flags.retries);
  if (retries !== undefined && !(Number.isInteger(retries) && retries >= 0))
    throw new UserError(
      `--retries must be a whole number, 0 or more (got ${retries})`,
      'pass e.g. --retries 3',
    );
  const timeout = num(flags.timeout);
  if (timeout !== undefined && !(timeout > 0))
    throw new UserError(
      `--timeout must be a positive number of seconds (got ${timeout})`,
      'pass e.g. --timeout 60',
    );
  const ids = str(flags.ids);
  const tuning: DownloadTuning = {
    picsumIds: ids === undefined ? undefined : parseIds(ids),
    seed: str(flags.seed),
    sleepOkSeconds: num(flags.sleepOk),
    sleepFailSeconds: num(flags.sleepFail),
    minBytes: num(flags.minBytes),
    maxBytes: num(flags.maxBytes),
    retry: retries === undefined ? undefined : {retries},
    timeouts: timeout === undefined ? undefined : {attemptMs: timeout * 1000},
  };
  return Object.fromEntries(Object.entries(tuning).filter(([, value]) => value !== undefined));
}

/** Everything `downloadImages` needs but the signal and the event sink. */
export function downloadOptionsFromFlags(
  flags: DownloadFlagValues & {imagesDir: string},
  env: NodeJS.ProcessEnv,
): DownloadOptions {
  const positive = (value: unknown) => {
    const n = num(value);
    return n === undefined || n === 0 ? undefined : n;
  };
  return {
    ...downloadEnvironment(env),
    provider: parseProvider(String(flags.provider ?? RUN_DEFAULTS.provider)),
    count: num(flags.count) ?? RUN_DEFAULTS.count,
    imagesDir: flags.imagesDir,
    width: num(flags.width),
    height: num(flags.height),
    workers: num(flags.workers),
    urlTemplate: str(flags.url),
    urlsFile: str(flags.urls),
    sourceDir: str(flags.sourceDir),
    // 0 means "no limit", as in the set-up screen.
    maxAttempts: positive(flags.maxAttempts),
    maxSeconds: positive(flags.maxSeconds),
    ...downloadTuningFromFlags(flags),
  };
}

/** "10,20,30-35" → [10, 20, 30, 31, 32, 33, 34, 35]. */
export function parseIds(text: string): number[] {
  const ids: number[] = [];
  for (const part of text
    .split(',')
    .map((piece) => piece.trim())
    .filter(Boolean)) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!match)
      throw new UserError(`--ids: '${part}' is not an id or a range`, 'pass e.g. --ids 10,20,30-35');
    const from = Number(match[1]);
    const to = match[2] === undefined ? from : Number(match[2]);
    if (to < from || to - from > 1_000_000)
      throw new UserError(`--ids: bad range '${part}'`, 'write ranges as LOW-HIGH');
    for (let id = from; id <= to; id++) ids.push(id);
  }
  if (ids.length === 0) throw new UserError('--ids is empty', 'pass e.g. --ids 10,20,30-35');
  return ids;
}
