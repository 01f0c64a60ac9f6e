import {UserError} from '../core/errors.js';
import {defineCommand} from './command.js';

export const serveCommand = defineCommand({
  name: 'serve',
  summary: 'serve',
  usage: '\n  Usage\n    $ visual-cortex serve\n',
  flags: {},
  async run() {
    throw new UserError("'serve' is not implemented yet");
  },
});
