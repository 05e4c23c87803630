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
import { readSetupState, type SetupState, writeSetupState } from './state.ts';
import { setupSteps } from './steps.ts';

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
  /** Tests wrap steps to inject failures. */
  wrapSteps?: (steps: Step[]) => Step[];
}

export interface SetupResult {
  ok: boolean;
  provider: string;
  vm_name: string;
  agent_url: string | null;
  agent_dir: string;
  steps: StepOutcome[];
  error: { code: string; step: string | null; message: string } | null;
}

async function initialState(o: RunSetupOptions): Promise<SetupState> {
  const prev = await readSetupState(o.paths);
  const fresh: SetupState = {
    version: 1,
    provider: o.provider.name,
    vm_name: o.vmName,
    agent_dir: o.provider.layout.agentDir,
    config_keys: [],
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
    return prev;
  }
  return fresh;
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
  const state = await initialState(o);
  const save = () => writeSetupState(o.paths, state);

  // The provider choice goes to config.yaml first, so later commands (uninstall included) find
  // the Linux side even when setup stops half-way.
  const current = await readConfigFile(o.paths);
  const merged: ConfigFile = { ...current, ...o.configUpdates };
  await writeConfigFile(merged, o.paths);
  for (const key of Object.keys(o.configUpdates)) {
    if (current[key as keyof ConfigFile] === undefined && !state.config_keys.includes(key))
      state.config_keys.push(key);
  }
  await save();

  const ctx: SetupContext = {
    provider: o.provider,
    paths: o.paths,
    options: o,
    agentBundle: o.agentBundle,
    state,
    fetch: o.fetch ?? fetch,
    agentTimeoutMs: o.agentTimeoutMs ?? scaledWait(60_000),
    saveState: save,
  };
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
      async record(outcome, err) {
        if (outcome.status === 'failed') {
          state.last_error = {
            step: outcome.id,
            message: err instanceof Error ? err.message : outcome.detail,
            at: new Date().toISOString(),
          };
        } else {
          state.steps[outcome.id] = { done_at: new Date().toISOString() };
          if (state.last_error?.step === outcome.id) state.last_error = null;
        }
        await save();
      },
    });
    return { ok: true, ...base, agent_url: await o.provider.agentUrl(), steps: outcomes, error: null };
  } catch (err) {
    if (!(err instanceof StepFailedError)) throw err;
    return {
      ok: false,
      ...base,
      agent_url: null,
      steps: err.outcomes,
      error: { code: errorCode(err.cause), step: err.step, message: err.message },
    };
  }
}
