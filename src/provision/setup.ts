// fc-macos setup: from nothing to a running, healthy agent, resumable and idempotent.
import { existsSync } from 'node:fs';
import { type ConfigFile, readConfigFile, writeConfigFile } from '../config/config.ts';
import type { FcMacosPaths } from '../config/paths.ts';
import { scaledWait } from '../config/wait-scale.ts';
import type { HostProvider } from '../host/provider.ts';
import type { SetupContext, SetupOptions } from './context.ts';
import type { FetchFn } from './download.ts';
import { ProvisionError } from './errors.ts';
import { type Reporter, runSteps, type Step, StepFailedError, type StepOutcome } from './runner.ts';
import {
  readSetupState,
  readSetupStateText,
  type SetupState,
  setupStateText,
  writeSetupState,
} from './state.ts';
import { setupSteps } from './steps/index.ts';

export interface RunSetupOptions extends SetupOptions {
  provider: HostProvider;
  paths: FcMacosPaths;
  vmName: string;
  agentBundle: string;
  reporter: Reporter;
  /** Written into config.yaml (merged with what is there). */
  configUpdates: ConfigFile;
  fetch?: FetchFn;
  agentTimeoutMs?: number;
  /** Forget the remembered asset flags (--assets-url, --firecracker-bin, --kernel, --rootfs). */
  reset?: boolean;
  /** Tests wrap steps to inject failures. */
  wrapSteps?: (steps: Step[]) => Step[];
}

export interface SetupResult {
  ok: boolean;
  provider: string;
  vm_name: string;
  agent_url: string | null;
  agent_dir: string;
  /** Every step was already done: nothing ran and no file changed. */
  already_set_up: boolean;
  /** What is installed, by step: "Firecracker v1.14.4", "Linux 6.1.155 (Firecracker CI v1.14)", … */
  versions: Record<string, string>;
  steps: StepOutcome[];
  error: { code: string; step: string | null; message: string } | null;
}

async function initialState(o: RunSetupOptions, prev: SetupState | null): Promise<SetupState> {
  const fresh: SetupState = {
    version: 1,
    provider: o.provider.name,
    vm_name: o.vmName,
    agent_dir: o.provider.layout.agentDir,
    config_keys: [],
    options: {},
    steps: {},
    installed: {},
    last_error: null,
  };
  if (
    prev &&
    prev.provider === fresh.provider &&
    prev.vm_name === fresh.vm_name &&
    prev.agent_dir === fresh.agent_dir
  ) {
    return structuredClone(prev);
  }
  return fresh;
}

/**
 * The asset flags in effect: the ones given now replace the remembered ones; --reset forgets
 * those. Stored back into the state (docs/setup.md, "What setup remembers").
 */
function effectiveOptions(o: RunSetupOptions, state: SetupState): SetupOptions {
  const kept = o.reset ? {} : state.options;
  const eff: SetupOptions = {
    assetsUrl: o.assetsUrl ?? kept.assets_url,
    firecrackerBin: o.firecrackerBin ?? kept.firecracker_bin,
    kernel: o.kernel ?? kept.kernel,
    rootfs: o.rootfs ?? kept.rootfs,
    force: o.force,
    kernelSha256: o.kernelSha256,
  };
  state.options = Object.fromEntries(
    Object.entries({
      assets_url: eff.assetsUrl,
      firecracker_bin: eff.firecrackerBin,
      kernel: eff.kernel,
      rootfs: eff.rootfs,
    }).filter(([, v]) => v !== undefined),
  );
  return eff;
}

function installedVersions(state: SetupState): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(state.installed)) if (v.version) out[k] = v.version;
  return out;
}

function errorCode(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : 'internal';
}

export async function runSetup(o: RunSetupOptions): Promise<SetupResult> {
  if (!existsSync(o.agentBundle)) {
    throw new ProvisionError(
      'asset_invalid',
      `the agent bundle ${o.agentBundle} does not exist`,
      'build it with npm run build (it sits next to the CLI as dist/fc-agent.mjs)',
    );
  }
  for (const [flag, file] of [
    ['--firecracker-bin', o.firecrackerBin],
    ['--kernel', o.kernel],
    ['--rootfs', o.rootfs],
  ] as const) {
    if (file !== undefined && !existsSync(file)) {
      throw new ProvisionError(
        'asset_invalid',
        `${flag} ${file}: no such file`,
        `pass an existing file to ${flag}`,
      );
    }
  }
  const prevText = await readSetupStateText(o.paths);
  const prev = await readSetupState(o.paths);
  const state = await initialState(o, prev);
  const keptOptions = { ...state.options };
  const options = effectiveOptions(o, state);
  // Nothing is written until the Linux side answers (the host step): a setup that fails there
  // (--provider tart on a machine without Tart) leaves the working installation as it was. After
  // that, a file is written only when its content changes, so a run with nothing to do changes
  // no file at all.
  let committed = prev !== null && state.provider === prev.provider;
  let written = prevText;
  const save = async () => {
    if (!committed) return;
    const text = setupStateText(state);
    if (text === written) return;
    await writeSetupState(o.paths, state);
    written = text;
  };
  const commitConfig = async () => {
    // The provider choice goes to config.yaml once the Linux side is there, so later commands
    // (uninstall included) find it even when setup stops half-way after that.
    const current = await readConfigFile(o.paths);
    const merged: ConfigFile = { ...current, ...o.configUpdates };
    if (JSON.stringify(merged) !== JSON.stringify(current)) await writeConfigFile(merged, o.paths);
    for (const key of Object.keys(o.configUpdates)) {
      if (current[key as keyof ConfigFile] === undefined && !state.config_keys.includes(key))
        state.config_keys.push(key);
    }
    committed = true;
    await save();
  };

  const ctx: SetupContext = {
    provider: o.provider,
    paths: o.paths,
    options,
    agentBundle: o.agentBundle,
    state,
    fetch: o.fetch ?? fetch,
    agentTimeoutMs: o.agentTimeoutMs ?? scaledWait(60_000),
    saveState: save,
  };
  const doneBefore = new Set(Object.keys(state.steps));
  let steps = setupSteps(ctx);
  if (o.wrapSteps) steps = o.wrapSteps(steps);

  const base = {
    provider: o.provider.name,
    vm_name: o.vmName,
    agent_dir: o.provider.layout.agentDir,
  };
  try {
    const outcomes = await runSteps(steps, {
      reporter: o.reporter,
      force: o.force,
      doneBefore: (id) => doneBefore.has(id),
      async record(outcome, err) {
        if (outcome.status === 'failed') {
          // A refused file is not remembered: the next plain setup uses the one that works.
          if (errorCode(err) === 'file_invalid') state.options = keptOptions;
          state.last_error = {
            step: outcome.id,
            message: err instanceof Error ? err.message : outcome.detail,
            at: new Date().toISOString(),
          };
        } else {
          if (outcome.id === 'host') await commitConfig();
          // A step found done keeps the time it was done; only a step that ran gets a new one.
          if (outcome.status === 'done' || !state.steps[outcome.id])
            state.steps[outcome.id] = { done_at: new Date().toISOString() };
          if (state.last_error?.step === outcome.id) state.last_error = null;
        }
        await save();
      },
    });
    const already = outcomes.every((s) => s.status === 'skipped');
    return {
      ok: true,
      ...base,
      already_set_up: already,
      versions: installedVersions(state),
      agent_url: await o.provider.agentUrl(),
      steps: outcomes,
      error: null,
    };
  } catch (err) {
    if (!(err instanceof StepFailedError)) throw err;
    return {
      ok: false,
      ...base,
      already_set_up: false,
      versions: installedVersions(state),
      agent_url: null,
      steps: err.outcomes,
      error: { code: errorCode(err.cause), step: err.step, message: err.message },
    };
  }
}
