// The agent token on the user's side. FC_MACOS_TOKEN overrides the file.
import { readFileSync } from 'node:fs';
import { type FcMacosPaths, fcMacosPaths } from './paths.ts';
import { writePrivateFile } from './private-file.ts';

/**
 * 32 random bytes, base64url. Web Crypto's global rather than node:crypto: importing node:crypto
 * costs about 6 ms, and every command that only reads the token would pay it.
 */
export function generateToken(): string {
  return Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(32))).toString('base64url');
}

export async function readToken(
  paths: FcMacosPaths = fcMacosPaths(),
  env: NodeJS.ProcessEnv = process.env,
): Promise<string | null> {
  if (env.FC_MACOS_TOKEN) return env.FC_MACOS_TOKEN;
  try {
    // Synchronous: a few bytes, and fs/promises is more to load than the read costs.
    return readFileSync(paths.tokenFile, 'utf8').trim() || null;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

export async function writeToken(token: string, paths: FcMacosPaths = fcMacosPaths()): Promise<void> {
  await writePrivateFile(paths.tokenFile, `${token}\n`);
}
