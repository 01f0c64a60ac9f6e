/** `npm run bench`: see options.ts for the flags and docs/performance.md for what is measured. */
import {spawnSync} from 'node:child_process';
import {cliAvailable} from './embed-cli.js';

import {parseBenchOptions, USAGE, UsageRequest} from './options.js';
import {appendHistory, formatTable} from './report.js';
import {runBench} from './suite.js';

async function main(): Promise<number> {
  let options: ReturnType<typeof parseBenchOptions>;
  try {
    options = parseBenchOptions(process.argv.slice(2));
  } catch (error) {
    if (error instanceof UsageRequest) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
    return 2;
  }
  if (options.embedVia === 'cli' && options.build) {
    process.stderr.write('building dist/ (npm run build) so the CLI measured is the current source\n');
    // The package's own build (tsc, then the bin made executable), through the npm that runs this script.
    const npmCli = process.env.npm_execpath;
    const build = spawnSync(
      npmCli ? process.execPath : 'npm',
      [...(npmCli ? [npmCli] : []), 'run', '--silent', 'build'],
      {
        cwd: new URL('..', import.meta.url).pathname,
        stdio: ['ignore', 'ignore', 'inherit'],
        shell: !npmCli && process.platform === 'win32',
      },
    );
    if (build.status !== 0)
      process.stderr.write('warning: the build reported errors; measuring what it emitted\n');
  }
  if (options.embedVia === 'cli' && !cliAvailable()) {
    process.stderr.write('dist/source/cli.js is missing: run npm run build, or pass --embed-via engine\n');
    return 2;
  }
  // Progress goes to stderr so `--json` output stays one clean object on stdout.
  const report = await runBench(options, (line) => process.stderr.write(`${line}\n`));
  if (options.history) await appendHistory(new URL('./history.json', import.meta.url).pathname, report);
  process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatTable(report)}\n`);
  return 0;
}

process.exitCode = await main();
