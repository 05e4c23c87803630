// config.yaml: the user's defaults. Every field is optional; absent ones take the defaults below.
import { readFile } from 'node:fs/promises';
import YAML from 'yaml';
import { z } from 'zod';
import { DEFAULT_MEMORY_MIB, DEFAULT_VCPUS, MAX_VCPUS, MIN_MEMORY_MIB } from '../api/schemas.ts';
import { ConfigError } from './errors.ts';
import { type FcMacosPaths, fcMacosPaths } from './paths.ts';
import { writePrivateFile } from './private-file.ts';

export const DEFAULT_VM_NAME = 'fc-macos-linux';
export const DEFAULT_AGENT_PORT = 8080;

export const providerName = z.enum(['tart', 'local']);
export type ProviderName = z.infer<typeof providerName>;

export const configFileSchema = z.strictObject({
  /** tart on macOS, local on Linux when absent. */
  provider: providerName.optional(),
  /** The Tart VM's name. */
  vm_name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must be letters, digits, ".", "_", "-"')
    .optional(),
  vm_cpus: z.number().int().min(1).max(64).optional(),
  vm_memory_mib: z.number().int().min(1024).optional(),
  vm_disk_gb: z.number().int().min(10).optional(),
  /** The agent's port on the Linux side. */
  agent_port: z.number().int().min(1).max(65535).optional(),
  /** Defaults for new microVMs. */
  vcpus: z.number().int().min(1).max(MAX_VCPUS).optional(),
  memory_mib: z.number().int().min(MIN_MEMORY_MIB).optional(),
});
export type ConfigFile = z.infer<typeof configFileSchema>;

export interface ResolvedConfig {
  provider: ProviderName;
  vmName: string;
  vmCpus: number;
  vmMemoryMib: number;
  vmDiskGb: number;
  agentPort: number;
  vcpus: number;
  memoryMib: number;
}

export function defaultProvider(platform: NodeJS.Platform = process.platform): ProviderName {
  return platform === 'darwin' ? 'tart' : 'local';
}

export async function readConfigFile(paths: FcMacosPaths = fcMacosPaths()): Promise<ConfigFile> {
  let text: string;
  try {
    text = await readFile(paths.configFile, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw err;
  }
  const doc = YAML.parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    const first = doc.errors[0];
    throw new ConfigError(`${paths.configFile}: ${first?.message ?? 'invalid YAML'}`, paths.configFile);
  }
  const parsed = configFileSchema.safeParse(doc.toJS() ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join('.') || '(top level)';
    throw new ConfigError(`${paths.configFile}: ${where}: ${issue?.message ?? 'invalid'}`, paths.configFile);
  }
  return parsed.data;
}

export function resolveConfig(
  file: ConfigFile,
  platform: NodeJS.Platform = process.platform,
): ResolvedConfig {
  return {
    provider: file.provider ?? defaultProvider(platform),
    vmName: file.vm_name ?? DEFAULT_VM_NAME,
    vmCpus: file.vm_cpus ?? 4,
    vmMemoryMib: file.vm_memory_mib ?? 8192,
    vmDiskGb: file.vm_disk_gb ?? 50,
    agentPort: file.agent_port ?? DEFAULT_AGENT_PORT,
    vcpus: file.vcpus ?? DEFAULT_VCPUS,
    memoryMib: file.memory_mib ?? DEFAULT_MEMORY_MIB,
  };
}

export async function loadConfig(paths: FcMacosPaths = fcMacosPaths()): Promise<ResolvedConfig> {
  return resolveConfig(await readConfigFile(paths));
}

export async function writeConfigFile(file: ConfigFile, paths: FcMacosPaths = fcMacosPaths()): Promise<void> {
  await writePrivateFile(paths.configFile, YAML.stringify(configFileSchema.parse(file)));
}

export { writePrivateFile } from './private-file.ts';
