import {UserError} from '../core/errors.js';
import {defineCommand} from './command.js';

export const dashboardCommand = defineCommand({
  name: 'dashboard',
  summary: 'the interactive dashboard',
  usage: '\n  Usage\n    $ visual-cortex\n',
  flags: {},
  async run() {
    throw new UserError('the dashboard is not implemented yet');
  },
});
