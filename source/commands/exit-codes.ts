/** The exit-code table lives in core so the dashboard's screens decide with it too; commands import it here. */
export {EXIT, EXIT_CODES_HELP, type ExitCode, exitCodeFor} from '../core/exit-codes.js';
