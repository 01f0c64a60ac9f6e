import {UserError} from '../core/errors.js';
import {defineCommand} from './command.js';

export const searchCommand = defineCommand({
  name: 'search',
  summary: 'search',
  usage: '\n  Usage\n    $ visual-cortex search\n',
  flags: {},
  async run() {
    throw new UserError("'search' is not implemented yet");
  },
});
