/** `cluster status` on a terminal: the live status screen until q, Esc or Ctrl+C. */
import {render} from 'ink';
import type {ClusterStatus} from '../core/cluster/status.js';
import {ClusterStatusScreen} from '../ui/cluster-status-screen.js';
import type {Io} from './command.js';

export function showLiveClusterStatus(io: Io, read: () => Promise<ClusterStatus>): Promise<number> {
  return new Promise<number>((resolve) => {
    const instance = render(
      <ClusterStatusScreen
        read={read}
        onQuit={() => {
          instance.unmount();
          instance.waitUntilExit().then(
            () => resolve(0),
            () => resolve(0),
          );
        }}
      />,
      {
        stdout: io.stdout as NodeJS.WriteStream,
        stdin: io.stdin as NodeJS.ReadStream,
        stderr: io.stderr as NodeJS.WriteStream,
        exitOnCtrlC: false,
        patchConsole: false,
      },
    );
  });
}
