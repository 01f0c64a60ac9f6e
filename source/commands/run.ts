import {UserError} from '../core/errors.js';
import {defineCommand} from './command.js';

export const runCommand = defineCommand({
  name: 'run',
  summary: 'run',
  usage: '\n  Usage\n    $ visual-cortex run\n',
  flags: {},
  async run() {
    throw new UserError("'run' is not implemented yet");
  },
});
