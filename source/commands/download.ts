import {downloadImages} from '../core/download/download-images.js';
import {DOWNLOAD_DEFAULTS, downloadEnvironment} from '../core/download/settings.js';
import type {DownloadOptions, ProviderName} from '../core/download/types.js';
import {UserError} from '../core/errors.js';
import {defineCommand} from './command.js';
import {createDownloadPrinter, formatDownloadSummary} from './download-output.js';
import {printJson, printLine} from './output.js';

const PROVIDERS: readonly ProviderName[] = ['picsum', 'unsplash', 'custom', 'urls', 'local'];

export const downloadCommand = defineCommand({
  name: 'download',
  summary: 'download images from picsum, Unsplash, a URL template, a URL list or a folder',
  usage: `
  Usage
    $ visual-cortex download [options]

  Sources (--provider)
    picsum      random images of --width x --height (default); --ids 10,20-25 or --seed S for fixed ones
    unsplash    the official Unsplash API; needs UNSPLASH_ACCESS_KEY
    custom      --url TEMPLATE with {width} {height} {index} {seed}
    urls        --urls FILE, one URL a line (blank lines and # comments skipped)
    local       --input-dir DIR, a folder whose images are copied in

  Options
    --count N           valid images wanted in the output folder, counting those already there (default 100)
    --width W --height H  image size asked for (default ${DOWNLOAD_DEFAULTS.width} x ${DOWNLOAD_DEFAULTS.height})
    --workers N         parallel downloads (default ${DOWNLOAD_DEFAULTS.workers})
    --output-dir DIR    where images and their index go (default data/images)
    --max-attempts N    HTTP attempts for the run, retries included (default 4 x images missing, at least 10)
    --max-seconds S     stop after S seconds
    --sleep-ok S        pause per worker after each kept image (politeness)
    --sleep-fail S      pause per worker after each failed image
    --min-bytes N       smallest body kept (default ${DOWNLOAD_DEFAULTS.minBytes})
    --max-bytes N       largest body kept; bigger ones are cut off (default ${DOWNLOAD_DEFAULTS.maxBytes})
    --retries N         retries per image for transient failures (default 3)
    --timeout S         longest single attempt (default 120)
    --json              print the report as JSON

  Environment
    UNSPLASH_ACCESS_KEY, VISUAL_CORTEX_PICSUM_URL, VISUAL_CORTEX_UNSPLASH_API_URL

  Exit status: 0 when --count images are present, 1 when the run ended short, 2 on a usage error or when
  the provider cannot be reached (its first attempts all failed to connect; the summary says what to do).

  Examples
    $ visual-cortex download --count 200 --width 1024 --height 768 --workers 8
    $ visual-cortex download --provider urls --urls list.txt --count 5000 --output-dir data/images
`,
  flags: {
    provider: {type: 'string', default: 'picsum'},
    count: {type: 'number', default: 100},
    width: {type: 'number'},
    height: {type: 'number'},
    workers: {type: 'number'},
    outputDir: {type: 'string', default: 'data/images'},
    url: {type: 'string'},
    urls: {type: 'string'},
    inputDir: {type: 'string'},
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
  },
  async run({flags, io, signal, env}) {
    const provider = flags.provider as ProviderName;
    if (!PROVIDERS.includes(provider)) {
      throw new UserError(`unknown provider '${flags.provider}'`, `use one of: ${PROVIDERS.join(', ')}`);
    }
    if (flags.retries !== undefined && !(Number.isInteger(flags.retries) && flags.retries >= 0)) {
      throw new UserError(
        `--retries must be a whole number, 0 or more (got ${flags.retries})`,
        'pass e.g. --retries 3',
      );
    }
    if (flags.timeout !== undefined && !(flags.timeout > 0)) {
      throw new UserError(
        `--timeout must be a positive number of seconds (got ${flags.timeout})`,
        'pass e.g. --timeout 60',
      );
    }
    const options: DownloadOptions = {
      ...downloadEnvironment(env),
      provider,
      count: flags.count,
      width: flags.width,
      height: flags.height,
      workers: flags.workers,
      outputDir: flags.outputDir,
      urlTemplate: flags.url,
      urlsFile: flags.urls,
      inputDir: flags.inputDir,
      picsumIds: flags.ids === undefined ? undefined : parseIds(flags.ids),
      seed: flags.seed,
      maxAttempts: flags.maxAttempts,
      maxSeconds: flags.maxSeconds,
      sleepOkSeconds: flags.sleepOk,
      sleepFailSeconds: flags.sleepFail,
      minBytes: flags.minBytes,
      maxBytes: flags.maxBytes,
      retry: flags.retries === undefined ? undefined : {retries: flags.retries},
      timeouts: flags.timeout === undefined ? undefined : {attemptMs: flags.timeout * 1000},
    };
    const printer = flags.json ? undefined : createDownloadPrinter(io);
    let report: Awaited<ReturnType<typeof downloadImages>>;
    try {
      report = await downloadImages({...options, signal, onEvent: printer?.onEvent});
    } finally {
      printer?.finish();
    }
    if (flags.json) printJson(io, report);
    else for (const line of formatDownloadSummary(report)) printLine(io, line);
    if (report.total >= report.requested) return 0;
    // Not a run that ended short but one that cannot start until the network, a mirror or the provider changes.
    return report.stopReason === 'unreachable' ? 2 : 1;
  },
});

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
