import {UserError} from '../core/errors.js';
import {defineCommand} from './command.js';
import {openDashboard} from './open-dashboard.js';
import {isInteractive, runFlags, runFlagsHelp, runSetupFromRunFlags} from './run.js';

export const dashboardCommand = defineCommand({
  name: 'dashboard',
  summary: 'the interactive dashboard',
  usage: `
  Usage
    $ visual-cortex [options]

  Opens the dashboard (needs a terminal): set up a run, watch it live, validate and search the outputs.
  The options pre-fill the set-up screen; --preset NAME loads a saved set-up.

  Options${runFlagsHelp}
`,
  flags: runFlags,
  async run(context) {
    if (!isInteractive(context.io, false))
      throw new UserError(
        'the dashboard needs an interactive terminal',
        "use 'visual-cortex run' in scripts and pipes",
      );
    return openDashboard(context, runSetupFromRunFlags(context.flags, false), 'menu');
  },
});
