import {UserError} from '../core/errors.js';
import {defineCommand} from './command.js';

export const presetsCommand = defineCommand({
  name: 'presets',
  summary: 'presets',
  usage: '\n  Usage\n    $ visual-cortex presets\n',
  flags: {},
  async run() {
    throw new UserError("'presets' is not implemented yet");
  },
});
