// Opening log/metrics targets as Firecracker does: created if missing, appended to, and
// non-blocking so a FIFO without a reader does not hang the VMM.
import { constants, openSync } from 'node:fs';

export function openAppendTarget(path: string): number {
  return openSync(
    path,
    constants.O_RDWR | constants.O_CREAT | constants.O_APPEND | constants.O_NONBLOCK,
    0o644,
  );
}
