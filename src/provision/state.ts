// setup-state.json in fc-macos's state dir: which steps finished, what each installed (source and
// sha256), and how the Linux side is laid out, so re-runs resume and uninstall knows what to undo.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writePrivateFile } from '../config/config.ts';
import type { FcMacosPaths } from '../config/paths.ts';

export const STEP_IDS = ['host', 'kvm', 'node', 'firecracker', 'kernel', 'rootfs', 'agent'] as const;
export type StepId = (typeof STEP_IDS)[number];

const installed = z.object({
  /** What was wanted: a pinned release id or `file:<sha256>` of a user-given file. */
  source: z.string(),
  /** sha256 of the file as installed on the Linux side. */
  sha256: z.string(),
  at: z.string(),
});
export type InstalledAsset = z.infer<typeof installed>;

export const setupStateSchema = z.object({
  version: z.literal(1),
  provider: z.enum(['tart', 'local']),
  vm_name: z.string(),
  agent_dir: z.string(),
  /** Keys setup wrote into config.yaml (uninstall removes exactly those). */
  config_keys: z.array(z.string()).default([]),
  steps: z.record(z.string(), z.object({ done_at: z.string() })).default({}),
  installed: z.record(z.string(), installed).default({}),
  last_error: z.object({ step: z.string(), message: z.string(), at: z.string() }).nullable().default(null),
});
export type SetupState = z.infer<typeof setupStateSchema>;

export function setupStateFile(paths: FcMacosPaths): string {
  return join(paths.stateDir, 'setup-state.json');
}

export async function readSetupState(paths: FcMacosPaths): Promise<SetupState | null> {
  let text: string;
  try {
    text = await readFile(setupStateFile(paths), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const parsed = setupStateSchema.safeParse(JSON.parse(text));
  // An unreadable state only costs re-checking every step.
  return parsed.success ? parsed.data : null;
}

export async function writeSetupState(paths: FcMacosPaths, state: SetupState): Promise<void> {
  await writePrivateFile(setupStateFile(paths), `${JSON.stringify(state, null, 2)}\n`);
}

export async function removeSetupState(paths: FcMacosPaths): Promise<void> {
  await rm(setupStateFile(paths), { force: true });
}
