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
  /** What a person reads: "Firecracker v1.14.4", "Linux 6.1.155 (Firecracker CI v1.14)", "given file x". */
  version: z.string().optional(),
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
  /**
   * The asset flags of the last setup (--assets-url, --firecracker-bin, --kernel, --rootfs): a
   * plain `fc-macos setup` reuses them; given again they replace these; --reset forgets them.
   */
  options: z
    .object({
      assets_url: z.string().optional(),
      firecracker_bin: z.string().optional(),
      kernel: z.string().optional(),
      rootfs: z.string().optional(),
    })
    .default({}),
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

export function setupStateText(state: SetupState): string {
  return `${JSON.stringify(state, null, 2)}\n`;
}

/** The file as it is on disk (null when absent): setup writes only when its text would change. */
export async function readSetupStateText(paths: FcMacosPaths): Promise<string | null> {
  try {
    return await readFile(setupStateFile(paths), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

export async function writeSetupState(paths: FcMacosPaths, state: SetupState): Promise<void> {
  await writePrivateFile(setupStateFile(paths), setupStateText(state));
}

export async function removeSetupState(paths: FcMacosPaths): Promise<void> {
  await rm(setupStateFile(paths), { force: true });
}
