// fc-macos doctor: every layer from the Mac (or Linux host) down to the agent and its token, each
// with ok/problem and the command that fixes it. The checks are the setup steps' own inspect()
// (one implementation for both), plus the token. A host that is down marks the layers above it
// as not checked, with the same fix.
import type { FcMacosPaths } from '../config/paths.ts';
import type { HostProvider } from '../host/provider.ts';
import type { SetupContext } from './context.ts';
import { readSetupState, type SetupState } from './state.ts';
import { inspectToken, setupSteps } from './steps/index.ts';

export interface DoctorCheck {
  check: string;
  ok: boolean;
  detail: string;
  fix: string;
}

export interface DoctorReport {
  /** false: no setup ever finished its first step here. */
  setUp: boolean;
  checks: DoctorCheck[];
}

export async function runDoctor(provider: HostProvider, paths: FcMacosPaths): Promise<DoctorReport> {
  const saved = await readSetupState(paths);
  const state: SetupState = saved ?? {
    version: 1,
    provider: provider.name,
    vm_name: '',
    agent_dir: provider.layout.agentDir,
    config_keys: [],
    options: {},
    steps: {},
    installed: {},
    last_error: null,
  };
  const ctx: SetupContext = {
    provider,
    paths,
    options: {
      assetsUrl: state.options.assets_url,
      firecrackerBin: state.options.firecracker_bin,
      kernel: state.options.kernel,
      rootfs: state.options.rootfs,
    },
    agentBundle: '',
    state,
    fetch,
    agentTimeoutMs: 5000,
    // A read never changes state.
    saveState: async () => {},
  };
  const checks: DoctorCheck[] = [];
  let down: { what: string; fix: string } | null = null;
  let agentUrl: string | null = null;
  for (const step of setupSteps(ctx)) {
    if (down) {
      checks.push({ check: step.id, ok: false, detail: `not checked: ${down.what}`, fix: down.fix });
      continue;
    }
    const r = await step.inspect().catch((err: unknown) => ({
      ok: false,
      detail: err instanceof Error ? (err.message.split('\n  fix:')[0] ?? err.message) : String(err),
      fix: 'fc-macos setup',
    }));
    checks.push({ check: step.id, ok: r.ok, detail: r.detail, fix: r.ok ? '' : r.fix });
    if (step.id === 'host' && !r.ok) down = { what: 'the Linux side is down', fix: r.fix };
    if (step.id === 'agent' && 'url' in r) agentUrl = r.ok ? (r.url as string | null) : null;
  }
  if (down) checks.push({ check: 'token', ok: false, detail: `not checked: ${down.what}`, fix: down.fix });
  else {
    const t = await inspectToken(ctx, agentUrl);
    checks.push({ check: 'token', ok: t.ok, detail: t.detail, fix: t.ok ? '' : t.fix });
  }
  return { setUp: saved !== null, checks };
}
