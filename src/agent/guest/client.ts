// GuestClient: everything the agent asks of fc-guest in one microVM. Each call opens its own
// connection (fc-guest serves one operation per connection), so calls run concurrently.
import { stat } from 'node:fs/promises';
import { basename, posix } from 'node:path';
import { GuestError } from '../../guest-protocol/errors.ts';
import { type ConnectOptions, GuestConnection, type GuestHello, type GuestTarget } from './connection.ts';
import {
  type ExecHandlers,
  type ExecOptions,
  type ExecResult,
  type ExecSession,
  execBuffered,
  startExec,
} from './exec.ts';
import {
  download,
  type GuestStat,
  statGuest,
  type TransferOptions,
  type TransferSummary,
  upload,
} from './transfer.ts';

export interface GuestPing {
  hello: GuestHello;
  uptimeMs: number;
  /** The guest clock's idea of when it booted (ms since the epoch); only as right as the guest's clock. */
  bootTimeMs: number;
  /** The round trip of the ping request, connection and handshake included. */
  rttMs: number;
}

export class GuestClient {
  constructor(
    readonly target: GuestTarget,
    readonly connect: ConnectOptions = {},
  ) {}

  async ping(): Promise<GuestPing> {
    const start = performance.now();
    const conn = await GuestConnection.open(this.target, this.connect);
    try {
      const r = await conn.request({ op: 'ping' });
      return {
        hello: conn.hello,
        uptimeMs: Number(r.uptime_ms),
        bootTimeMs: Number(r.boot_time_ms),
        rttMs: performance.now() - start,
      };
    } finally {
      conn.close();
    }
  }

  exec(opts: ExecOptions, handlers?: ExecHandlers): Promise<ExecSession> {
    return startExec(this.target, opts, handlers, this.connect);
  }

  execBuffered(
    opts: ExecOptions & { input?: Buffer | string; maxOutputBytes?: number },
  ): Promise<ExecResult> {
    return execBuffered(this.target, opts, this.connect);
  }

  stat(path: string): Promise<GuestStat> {
    return statGuest(this.target, path, this.connect);
  }

  upload(local: string, remote: string, opts?: TransferOptions): Promise<TransferSummary> {
    return upload(this.target, local, remote, opts, this.connect);
  }

  download(remote: string, local: string, opts?: TransferOptions): Promise<TransferSummary> {
    return download(this.target, remote, local, opts, this.connect);
  }

  /**
   * `docker cp` conventions into the guest: an existing directory destination receives the source
   * under its own name; otherwise the source is written as the destination. A destination ending
   * in "/" must be an existing directory.
   */
  async copyIn(
    local: string,
    remote: string,
    opts?: TransferOptions,
  ): Promise<TransferSummary & { dest: string }> {
    if (!remote.startsWith('/'))
      throw new GuestError('bad_request', `guest path must be absolute: ${remote}`);
    await stat(local).catch(() => {
      throw new GuestError('not_found', `no such local file or directory: ${local}`);
    });
    const st = await this.stat(remote);
    let dest = remote;
    if (st.exists && st.type === 'dir') dest = posix.join(remote, basename(local.replace(/\/+$/, '')) || '.');
    else if (!st.exists && remote.endsWith('/')) {
      throw new GuestError('not_found', `no such directory in the guest: ${remote}`);
    }
    const summary = await this.upload(local, dest, opts);
    return { ...summary, dest };
  }

  /** `docker cp` conventions out of the guest (see copyIn), applied to the local destination. */
  async copyOut(
    remote: string,
    local: string,
    opts?: TransferOptions,
  ): Promise<TransferSummary & { dest: string }> {
    if (!remote.startsWith('/'))
      throw new GuestError('bad_request', `guest path must be absolute: ${remote}`);
    const st = await stat(local).catch(() => null);
    let dest = local;
    if (st?.isDirectory()) dest = posix.join(local, posix.basename(remote.replace(/\/+$/, '')) || '.');
    else if (!st && local.endsWith('/'))
      throw new GuestError('not_found', `no such local directory: ${local}`);
    const summary = await this.download(remote, dest, opts);
    return { ...summary, dest };
  }

  /** Asks fc-guest to sync and power the guest off; resolves once it acknowledged. */
  async shutdown(): Promise<{ action: string }> {
    const conn = await GuestConnection.open(this.target, this.connect);
    try {
      const r = await conn.request({ op: 'shutdown' });
      return { action: String(r.action) };
    } finally {
      conn.close();
    }
  }
}
