// The SDK side of the guest agent's routes: readiness, buffered exec, and `docker cp`-style copies
// in and out of a microVM (file trees in fc-guest's frames, docs/guest-protocol.md).
// fs.promises on first use: loading it costs every command a few ms (see guest-protocol/tree.ts).
import * as fs from 'node:fs';
import { basename, posix } from 'node:path';
import { Readable } from 'node:stream';
import type {
  GuestExecRequest,
  GuestStatResponse,
  GuestStatusResponse,
  GuestTransferSummary,
} from '../api/guest.ts';
import { GUEST_TREE_CONTENT_TYPE } from '../api/wire.ts';
import { FrameDecoder } from '../guest-protocol/frames.ts';
import { type TransferOptions, TreeWriter, treeFrames } from '../guest-protocol/tree.ts';
import { checks } from './checks.ts';
import { AgentClientError, AgentProtocolError } from './errors.ts';
import type { AgentHttp } from './http.ts';

export interface ExecBufferedResult {
  exitCode: number;
  signal: string | null;
  timedOut: boolean;
  stdout: Buffer;
  stderr: Buffer;
}

export interface CopyResult extends GuestTransferSummary {
  /** Where the copy landed (after the "into an existing directory" rule). */
  dest: string;
}

/** A copy refused before anything moved: a relative guest path, a missing source or directory. */
export class CopyError extends AgentClientError {
  override readonly name = 'CopyError';
  constructor(code: 'bad_request' | 'not_found', message: string) {
    super(code, message);
  }
}

export class GuestApi {
  constructor(
    private readonly http: AgentHttp,
    private readonly vmPath: (idOrName: string, suffix?: string) => string,
  ) {}

  status(idOrName: string): Promise<GuestStatusResponse> {
    return this.http.json('GET', this.vmPath(idOrName, '/guest'), checks.guestStatusResponse);
  }

  async exec(
    idOrName: string,
    req: GuestExecRequest & { stdin?: Buffer | string },
  ): Promise<ExecBufferedResult> {
    const { stdin, ...rest } = req;
    const body =
      stdin === undefined ? rest : { ...rest, stdin_base64: Buffer.from(stdin).toString('base64') };
    const timeoutMs = (req.timeout_ms ?? 0) > 0 ? (req.timeout_ms ?? 0) + 30_000 : 2_147_483_647;
    const r = await this.http.json('POST', this.vmPath(idOrName, '/exec'), checks.guestExecResponse, {
      json: body,
      timeoutMs,
    });
    return {
      exitCode: r.exit_code,
      signal: r.signal,
      timedOut: r.timed_out,
      stdout: Buffer.from(r.stdout_base64, 'base64'),
      stderr: Buffer.from(r.stderr_base64, 'base64'),
    };
  }

  statPath(idOrName: string, path: string): Promise<GuestStatResponse> {
    return this.http.json('GET', this.vmPath(idOrName, '/files/stat'), checks.guestStatResponse, {
      query: { path },
    });
  }

  /**
   * Copies a local file or directory into the microVM, `docker cp` style: into an existing
   * directory under its own name, else as `remote`; a `remote` ending in "/" must be a directory.
   */
  async copyIn(
    idOrName: string,
    local: string,
    remote: string,
    opts: TransferOptions = {},
  ): Promise<CopyResult> {
    if (!remote.startsWith('/')) throw new CopyError('bad_request', `guest path must be absolute: ${remote}`);
    if (!(await fs.promises.stat(local).catch(() => null)))
      throw new CopyError('not_found', `no such local file or directory: ${local}`);
    const st = await this.statPath(idOrName, remote);
    let dest = remote;
    if (st.exists && st.type === 'dir') dest = posix.join(remote, basename(local.replace(/\/+$/, '')) || '.');
    else if (!st.exists && remote.endsWith('/')) {
      throw new CopyError('not_found', `no such directory in microVM ${idOrName}: ${remote}`);
    }
    const path = this.vmPath(idOrName, '/files');
    const res = await fetch(this.http.url(path, { path: dest }), {
      method: 'PUT',
      headers: this.http.headers({ 'content-type': GUEST_TREE_CONTENT_TYPE }),
      body: Readable.toWeb(Readable.from(treeFrames(local, opts))) as unknown as RequestInit['body'],
      duplex: 'half',
    } as RequestInit).catch((err: unknown) => {
      throw this.http.unreachable(err instanceof Error ? err.message : String(err));
    });
    if (!res.ok) return this.http.fail('PUT', path, res);
    const summary = await this.http.body('PUT', path, res, checks.guestTransferSummary);
    return { ...summary, dest };
  }

  /** Copies a file or directory out of the microVM, with copyIn's rules applied to `local`. */
  async copyOut(
    idOrName: string,
    remote: string,
    local: string,
    opts: TransferOptions = {},
  ): Promise<CopyResult> {
    if (!remote.startsWith('/')) throw new CopyError('bad_request', `guest path must be absolute: ${remote}`);
    const st = await fs.promises.stat(local).catch(() => null);
    let dest = local;
    if (st?.isDirectory()) dest = posix.join(local, posix.basename(remote.replace(/\/+$/, '')) || '.');
    else if (!st && local.endsWith('/'))
      throw new CopyError('not_found', `no such local directory: ${local}`);
    const path = this.vmPath(idOrName, '/files');
    const res = await this.http.send('GET', path, { query: { path: remote } });
    if (!res.ok) return this.http.fail('GET', path, res);
    if (!res.body) throw new AgentProtocolError(this.http.baseUrl, `GET ${path} with no body`);
    const writer = new TreeWriter(dest, opts);
    const decoder = new FrameDecoder();
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      for (const f of decoder.push(Buffer.from(chunk))) {
        const done = await writer.write(f);
        if (done) return { ...done, dest };
      }
    }
    await writer.abort();
    throw new AgentProtocolError(this.http.baseUrl, `GET ${path}: the copy of ${remote} was cut short`);
  }

  /** Resolves once fc-guest answers in the microVM (boot finished), or throws after timeoutMs. */
  async waitReady(idOrName: string, timeoutMs = 60_000): Promise<GuestStatusResponse> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        return await this.status(idOrName);
      } catch (err) {
        const code = (err as { code?: string }).code;
        // Still booting: keep asking. Anything else (no guest agent in this rootfs, gone) is final.
        const booting =
          code === 'guest_unavailable' && !/no guest agent in this rootfs/.test((err as Error).message);
        if (!booting || Date.now() > deadline) throw err;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
