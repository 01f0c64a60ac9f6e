import {downloadImages} from '../core/download/download-images.js';
import {defineCommand} from './command.js';
import {createDownloadPrinter, formatDownloadSummary} from './download-output.js';
import {EXIT, EXIT_CODES_HELP, exitCodeFor} from './exit-codes.js';
import {downloadFlags, downloadHelp, downloadOptionsFromFlags} from './options/download-options.js';
import {IMAGES_HELP, imagesFlag} from './options/folders.js';
import {helpBlock} from './options/help.js';
import {printJson, printLine} from './output.js';

export {parseIds} from './options/download-options.js';

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
    local       --from DIR, a folder whose images are copied in

  Options
${helpBlock([IMAGES_HELP, ...downloadHelp()])}
    --json                print the report as JSON

  Environment
    UNSPLASH_ACCESS_KEY, VISUAL_CORTEX_PICSUM_URL, VISUAL_CORTEX_UNSPLASH_API_URL

${EXIT_CODES_HELP}
  When the provider cannot be reached at all (its first attempts all failed to connect), download exits 2
  and the summary says what to do.

  Examples
    $ visual-cortex download --count 200 --width 1024 --height 768 --workers 8
    $ visual-cortex download --provider urls --urls list.txt --count 5000 --images data/images
`,
  flags: {
    ...downloadFlags,
    imagesDir: imagesFlag('output-dir'),
  },
  async run({flags, io, signal, env}) {
    const options = downloadOptionsFromFlags(flags, env);
    const printer = flags.json ? undefined : createDownloadPrinter(io);
    let report: Awaited<ReturnType<typeof downloadImages>>;
    try {
      report = await downloadImages({...options, signal, onEvent: printer?.onEvent});
    } finally {
      printer?.finish();
    }
    if (flags.json) printJson(io, report);
    else for (const line of formatDownloadSummary(report)) printLine(io, line);
    // Not a run that ended short but one that cannot start until the network, a mirror or the provider changes.
    if (!report.interrupted && report.stopReason === 'unreachable' && report.total < report.requested)
      return EXIT.usage;
    return exitCodeFor({interrupted: report.interrupted, complete: report.total >= report.requested});
  },
});
