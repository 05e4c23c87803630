// What the asset steps share: reading an installed file's header on the Linux side, comparing it
// with what setup recorded, and the step around a file setup installs and records.
import type { CheckResult } from '../../host/provider.ts';
import { remoteSha256 } from '../../host/remote-files.ts';
import { installedMatches, recordInstalled, type SetupContext } from '../context.ts';
import { ProvisionError } from '../errors.ts';
import type { Progress, Step } from '../runner.ts';
import type { StepId } from '../state.ts';
import { remoteHead, type Verdict } from '../validate.ts';

export const errText = (err: unknown): string =>
  err instanceof Error ? (err.message.split('\n  fix:')[0] ?? '') : String(err);

export const errFix = (err: unknown, fallback: string): string => {
  const fix = (err as { fix?: unknown }).fix;
  return typeof fix === 'string' && fix !== '' ? fix : fallback;
};

/**
 * The installed file at `path`: there, fit (`validate` on its header), and unchanged since setup
 * recorded it. `describe` names what is there when all is well.
 */
export async function inspectInstalled(
  ctx: SetupContext,
  key: string,
  path: string,
  validate: (head: Buffer) => Verdict | Promise<Verdict>,
  describe: () => string,
): Promise<CheckResult> {
  const p = ctx.provider;
  const exec = p.exec.bind(p);
  const head = await remoteHead(exec, path, p.agentDirNeedsRoot);
  if (!head) return { ok: false, detail: `${path} is missing`, fix: 'fc-macos setup' };
  const verdict = await validate(head);
  if (!verdict.ok) return { ok: false, detail: `${path} ${verdict.why}`, fix: 'fc-macos setup --force' };
  const rec = ctx.state.installed[key];
  if (rec) {
    const sha = await remoteSha256(exec, path, p.agentDirNeedsRoot);
    if (sha !== rec.sha256)
      return { ok: false, detail: `${path} changed since setup installed it`, fix: 'fc-macos setup' };
  }
  return { ok: true, detail: describe(), fix: '' };
}

/** A refused file: exit 2 for one the user gave (file_invalid), 1 for a download (asset_invalid). */
export function refuse(given: boolean, what: string, why: string, fix: string): ProvisionError {
  return new ProvisionError(
    given ? 'file_invalid' : 'asset_invalid',
    `${what} ${why}; nothing was installed`,
    fix,
  );
}

/** A step that installs one file on the Linux side; installedStep adds the check and the record. */
export interface InstalledFile {
  id: StepId;
  title: string;
  /** The file whose sha256 setup records (under the step's id). */
  path: string;
  /** Where this setup installs it from: a record from another source means installing again. */
  source(): Promise<string>;
  inspect(): Promise<CheckResult>;
  /** Whether the installed file is in working order; by default, inspect() is ok. */
  ready?(): Promise<boolean>;
  /** Installs the file; returns the version setup records and doctor prints. */
  install(progress: Progress): Promise<string>;
}

/** Done when the record matches this setup's source and the file is unchanged and ready. */
export function installedStep(ctx: SetupContext, file: InstalledFile): Step {
  return {
    id: file.id,
    title: file.title,
    forceable: true,
    inspect: () => file.inspect(),
    async check() {
      if (!(await installedMatches(ctx, file.id, await file.source(), file.path))) return false;
      return file.ready ? file.ready() : (await file.inspect()).ok;
    },
    async run(progress) {
      const source = await file.source();
      const version = await file.install(progress);
      await recordInstalled(ctx, file.id, source, file.path, version);
    },
  };
}
