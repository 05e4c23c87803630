// The agent token on the user's side. FC_MACOS_TOKEN overrides the file.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { type FcMacosPaths, fcMacosPaths } from './paths.ts';
import { writePrivateFile } from './private-file.ts';

export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

export async function readToken(
  paths: FcMacosPaths = fcMacosPaths(),
  env: NodeJS.ProcessEnv = process.env,
): Promise<string | null> {
  if (env.FC_MACOS_TOKEN) return env.FC_MACOS_TOKEN;
  try {
    return (await readFile(paths.tokenFile, 'utf8')).trim() || null;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

export async function writeToken(token: string, paths: FcMacosPaths = fcMacosPaths()): Promise<void> {
  await writePrivateFile(paths.tokenFile, `${token}\n`);
}
