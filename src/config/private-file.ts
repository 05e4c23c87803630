// Files only their owner may read (token, config, the cached agent address). Apart from config.ts
// so that reading the token does not load the YAML parser.
// Synchronous: small files, written by the CLI, and every command that reads the token loads this
// module, where fs/promises would cost more to load than these writes take.
import { chmodSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Writes a file readable by its owner only, atomically (temp file + rename in the same dir). */
export async function writePrivateFile(path: string, data: string): Promise<void> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(tmp, data, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}
