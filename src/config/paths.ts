// Where fc-macos keeps its files on the user's machine. FC_MACOS_CONFIG_DIR / FC_MACOS_STATE_DIR
// override the platform defaults (tests use them; so can users with unusual setups).
import { join } from 'node:path';
import envPaths from 'env-paths';

const platform = envPaths('fc-macos', { suffix: '' });

export interface FcMacosPaths {
  /** config.yaml and the agent token. */
  configDir: string;
  /** Downloaded assets, logs of the Linux VM, pid files. */
  stateDir: string;
  configFile: string;
  tokenFile: string;
}

export function fcMacosPaths(env: NodeJS.ProcessEnv = process.env): FcMacosPaths {
  const configDir = env.FC_MACOS_CONFIG_DIR || platform.config;
  const stateDir = env.FC_MACOS_STATE_DIR || platform.data;
  return {
    configDir,
    stateDir,
    configFile: join(configDir, 'config.yaml'),
    tokenFile: join(configDir, 'token'),
  };
}
