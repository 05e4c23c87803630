// Picks the provider for a resolved config. Environment overrides (documented in docs/setup.md):
// FC_MACOS_TART (tart binary), FC_MACOS_AGENT_DIR (local agent dir),
// FC_MACOS_AGENT_SERVICE=systemd|daemon (local service mode), FC_MACOS_KVM_DEVICE (the device the
// local provider's checks open; tests point it at a stand-in).
import type { ResolvedConfig } from '../config/config.ts';
import { type FcMacosPaths, fcMacosPaths } from '../config/paths.ts';
import { HostError } from './errors.ts';
import { LocalProvider, type ServiceMode } from './local-provider.ts';
import type { HostProvider } from './provider.ts';
import { TartProvider } from './tart-provider.ts';

export * from './agent-service.ts';
export * from './errors.ts';
export * from './layout.ts';
export * from './local-provider.ts';
export * from './provider.ts';
export * from './tart-cli.ts';
export * from './tart-preflight.ts';
export * from './tart-provider.ts';

export interface CreateProviderOptions {
  paths?: FcMacosPaths;
  env?: NodeJS.ProcessEnv;
  /** The agent dir a setup with this provider recorded (the local provider's may be anywhere). */
  recordedAgentDir?: string;
}

export function serviceModeFromEnv(env: NodeJS.ProcessEnv): ServiceMode {
  const v = env.FC_MACOS_AGENT_SERVICE;
  if (v === undefined || v === '' || v === 'auto') return 'auto';
  if (v === 'systemd' || v === 'daemon') return v;
  throw new HostError('preflight_failed', `FC_MACOS_AGENT_SERVICE=${v}: must be auto, systemd or daemon`);
}

export function createProvider(config: ResolvedConfig, opts: CreateProviderOptions = {}): HostProvider {
  const env = opts.env ?? process.env;
  const paths = opts.paths ?? fcMacosPaths(env);
  if (config.provider === 'tart') {
    return new TartProvider({
      vmName: config.vmName,
      cpus: config.vmCpus,
      memoryMib: config.vmMemoryMib,
      diskGb: config.vmDiskGb,
      agentPort: config.agentPort,
      paths,
    });
  }
  return new LocalProvider({
    agentPort: config.agentPort,
    paths,
    agentDir: env.FC_MACOS_AGENT_DIR || opts.recordedAgentDir || undefined,
    serviceMode: serviceModeFromEnv(env),
    kvmPath: env.FC_MACOS_KVM_DEVICE || undefined,
  });
}
