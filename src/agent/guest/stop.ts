// The first way `microvm stop` tries: ask fc-guest to shut the guest down (sync, power off) and
// wait for firecracker to exit. Firecracker on aarch64 has no Ctrl+Alt+Del, so without this a
// stop there can only kill.
import type { Logger } from '../log.ts';
import type { MicrovmEntry } from '../microvm-entry.ts';
import { GuestClient } from './client.ts';
import { guestTargetOf } from './vsock.ts';

export type GuestStopOutcome =
  | { stopped: true; message: string }
  /** Not stopped this way; `note` says why for the fallback's message ('' when there was no guest agent to ask). */
  | { stopped: false; note: string };

export async function stopViaGuest(
  entry: MicrovmEntry,
  timeoutMs: number,
  waitGone: (ms: number) => Promise<boolean>,
  log: Logger,
): Promise<GuestStopOutcome> {
  let target: ReturnType<typeof guestTargetOf>;
  try {
    target = guestTargetOf(entry);
  } catch {
    // No guest agent to ask (custom rootfs, not running): the stop goes on as it always did.
    return { stopped: false, note: '' };
  }
  const started = Date.now();
  try {
    await new GuestClient(target, { timeoutMs: Math.min(2000, Math.max(timeoutMs, 1)) }).shutdown();
  } catch (err) {
    log.debug('guest shutdown request failed', { id: entry.vm.id, error: err });
    return { stopped: false, note: `the guest agent did not take the shutdown (${(err as Error).message})` };
  }
  const left = Math.max(timeoutMs - (Date.now() - started), 0);
  if (await waitGone(left)) {
    const s = ((Date.now() - started) / 1000).toFixed(1);
    return {
      stopped: true,
      message: `fc-guest shut the guest down (sync, power off); firecracker exited after ${s}s`,
    };
  }
  return {
    stopped: false,
    note: `the guest did not power off within ${timeoutMs / 1000}s of fc-guest's shutdown`,
  };
}
