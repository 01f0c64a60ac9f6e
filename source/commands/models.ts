import {UserError} from '../core/errors.js';
import {defineCommand} from './command.js';

export const modelsCommand = defineCommand({
  name: 'models',
  summary: 'models',
  usage: '\n  Usage\n    $ visual-cortex models\n',
  flags: {},
  async run() {
    throw new UserError("'models' is not implemented yet");
  },
});
