import {UserError} from '../core/errors.js';
import {defineCommand} from './command.js';

export const downloadCommand = defineCommand({
  name: 'download',
  summary: 'download',
  usage: '\n  Usage\n    $ visual-cortex download\n',
  flags: {},
  async run() {
    throw new UserError("'download' is not implemented yet");
  },
});
