// state.json: one microVM's record on disk, written atomically (temp file, fsync, rename) so a
// crash or kill -9 mid-write leaves either the old record or the new one, never half of each.
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { microvm } from '../api/schemas.ts';

export const STATE_FILE = 'state.json';

export const storedRecord = z.object({
  format: z.literal(1),
  /** `creating`: firecracker may run but the create never finished; a restart cleans it up. */
  phase: z.enum(['creating', 'ready']),
  microvm,
  /** Field 22 of /proc/<pid>/stat when launched: tells our firecracker from a reused pid. */
  pid_starttime: z.number().nullable(),
  /** The rootfs is the agent's per-microVM copy (deleted with the microVM). */
  rootfs_copied: z.boolean(),
  /** What the agent was doing to it (stop/kill) when the record was written. */
  intent: z.enum(['stop', 'kill']).nullable(),
});
export type StoredRecord = z.infer<typeof storedRecord>;

export async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = join(dirname(path), `.${STATE_FILE}.${randomBytes(4).toString('hex')}.tmp`);
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  // The rename itself is durable once the directory is synced.
  const dir = await open(dirname(path), 'r').catch(() => null);
  if (dir) {
    await dir.sync().catch(() => undefined);
    await dir.close();
  }
}

export function writeRecord(dir: string, record: StoredRecord): Promise<void> {
  return writeAtomic(join(dir, STATE_FILE), `${JSON.stringify(record, null, 2)}\n`);
}

export type LoadResult = { ok: true; record: StoredRecord } | { ok: false; reason: string };

export async function readRecord(dir: string): Promise<LoadResult> {
  let text: string;
  try {
    text = await readFile(join(dir, STATE_FILE), 'utf8');
  } catch (err) {
    return { ok: false, reason: `cannot read ${STATE_FILE}: ${(err as NodeJS.ErrnoException).code ?? err}` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `${STATE_FILE} is not JSON: ${(err as Error).message}` };
  }
  const parsed = storedRecord.safeParse(json);
  if (!parsed.success) {
    return {
      ok: false,
      reason: `${STATE_FILE} does not hold a microVM record: ${parsed.error.issues
        .map((i) => `${i.path.join('.')}: ${i.message}`)
        .join('; ')}`,
    };
  }
  return { ok: true, record: parsed.data };
}
