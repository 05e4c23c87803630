// Waiting for a microVM's console to go quiet: the guest's UART then has no output in flight, the
// only state in which Firecracker 1.14's snapshot (which does not save the UART) restores a console
// that prints (docs/snapshots.md, "The console after a restore").
import { stat } from 'node:fs/promises';

const POLL_MS = 50;

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return -1;
  }
}

/**
 * Resolves true once `path` (the console log firecracker's stdout appends to) has not grown for
 * quietMs, false when it still grew at maxMs. Output comes in bursts of at most 16 bytes per
 * transmit interrupt while the guest driver has bytes queued, so a quiet stretch far longer than
 * one interrupt's round trip means its queue is empty.
 */
export async function waitConsoleQuiet(path: string, quietMs: number, maxMs: number): Promise<boolean> {
  const deadline = Date.now() + maxMs;
  let size = await sizeOf(path);
  let since = Date.now();
  for (;;) {
    if (Date.now() - since >= quietMs) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, POLL_MS));
    const now = await sizeOf(path);
    if (now !== size) {
      size = now;
      since = Date.now();
    }
  }
}
