// How the agent launches a microVM's firecracker, in one place: a create launches it this way, and
// so does a spare made ahead of creates (spare-vmms.ts), so a create cannot tell them apart.
import { closeSync, constants, openSync } from 'node:fs';
import { type LaunchedFirecracker, launchFirecracker } from '../../firecracker/index.ts';
import { resolveBinary } from '../config.ts';
import type { MicrovmPaths } from '../microvm-entry.ts';

/** The empty console log, firecracker log and metrics file, owner-only. */
export function makeLogFiles(paths: MicrovmPaths): void {
  // Synchronous calls take microseconds, a trip through libuv's thread pool can take
  // milliseconds on a busy host.
  for (const f of [paths.consoleLog, paths.firecrackerLog, paths.metrics]) {
    closeSync(openSync(f, 'a', 0o600));
  }
}

/**
 * Opens the console FIFO for firecracker's stdin. O_RDWR: the open never blocks waiting for a
 * writer, and firecracker (which inherits it) is a writer itself, so its stdin never sees EOF when
 * console clients come and go.
 */
export function openConsoleFifo(paths: MicrovmPaths): number {
  return openSync(paths.consoleIn, constants.O_RDWR | constants.O_NONBLOCK);
}

/**
 * Starts firecracker in the microVM's directory with its console FIFO as stdin (null: /dev/null).
 * Closes the FIFO fd once firecracker holds it, also when the launch fails.
 */
export async function launchInDirectory(
  firecracker: string,
  id: string,
  paths: MicrovmPaths,
  fifoFd: number | null,
  afterSpawn?: (pid: number | undefined) => void,
): Promise<LaunchedFirecracker> {
  try {
    return await launchFirecracker({
      binary: resolveBinary(firecracker),
      socketPath: paths.socket,
      id,
      // Warning: Firecracker's own log is for problems; it goes to firecracker.log, never into
      // the console stream (Firecracker logs to stdout, the serial console, by default).
      level: 'Warning',
      logPath: paths.firecrackerLog,
      ...(fifoFd === null ? {} : { stdin: fifoFd }),
      stdoutPath: paths.consoleLog,
      stderrPath: paths.firecrackerStderr,
      // Relative paths (the jailer's way) resolve in the microVM's own directory.
      cwd: paths.dir,
      ...(afterSpawn ? { afterSpawn } : {}),
    });
  } finally {
    if (fifoFd !== null) closeSync(fifoFd);
  }
}
