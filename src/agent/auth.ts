// The bearer token: loaded once at start from a file only its owner can read, compared in
// constant time so response timing says nothing about how much of a guess was right.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { TokenFileError } from './errors.ts';

export function loadToken(path: string): string {
  let mode: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new TokenFileError(`token file ${path} is not a regular file`);
    mode = st.mode & 0o777;
  } catch (err) {
    if (err instanceof TokenFileError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new TokenFileError(
      code === 'ENOENT'
        ? `token file ${path} does not exist: write a random token there (e.g. openssl rand -hex 32 > ${path} && chmod 600 ${path}) or pass --token-file`
        : `token file ${path} cannot be read: ${code ?? String(err)}`,
    );
  }
  if ((mode & 0o077) !== 0) {
    throw new TokenFileError(
      `token file ${path} is readable by group or others (mode ${mode.toString(8).padStart(4, '0')}): run chmod 600 ${path}`,
    );
  }
  let token: string;
  try {
    token = readFileSync(path, 'utf8').trim();
  } catch (err) {
    throw new TokenFileError(
      `token file ${path} cannot be read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    );
  }
  if (token === '') throw new TokenFileError(`token file ${path} is empty: write a random token into it`);
  return token;
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** Checks `Authorization: Bearer <token>`; `expected` null means auth is off (--insecure-no-auth). */
export class Authenticator {
  private readonly expected: Buffer | null;

  constructor(token: string | null) {
    this.expected = token === null ? null : digest(token);
  }

  /** null when allowed, else why not (for the 401 message). */
  check(req: IncomingMessage): string | null {
    if (this.expected === null) return null;
    const header = req.headers.authorization;
    if (header === undefined) return 'missing Authorization header: send "Authorization: Bearer <token>"';
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m?.[1]) return 'Authorization header is not "Bearer <token>"';
    // Equal-length digests: timingSafeEqual needs equal lengths and must not leak the token's.
    if (!timingSafeEqual(digest(m[1]), this.expected)) return 'wrong token';
    return null;
  }
}
