import {UserError} from '../core/errors.js';
import {defineCommand} from './command.js';

export const embedCommand = defineCommand({
  name: 'embed',
  summary: 'embed',
  usage: '\n  Usage\n    $ visual-cortex embed\n',
  flags: {},
  async run() {
    throw new UserError("'embed' is not implemented yet");
  },
});
