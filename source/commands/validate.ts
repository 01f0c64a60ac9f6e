import {UserError} from '../core/errors.js';
import {defineCommand} from './command.js';

export const validateCommand = defineCommand({
  name: 'validate',
  summary: 'validate',
  usage: '\n  Usage\n    $ visual-cortex validate\n',
  flags: {},
  async run() {
    throw new UserError("'validate' is not implemented yet");
  },
});
