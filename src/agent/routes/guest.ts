// The guest agent's routes: GET .../guest (readiness), POST .../exec (buffered), GET
// .../files/stat, PUT and GET .../files (a tree in fc-guest's frames, relayed both ways).
import type { ServerResponse } from 'node:http';
import {
  GUEST_TREE_CONTENT_TYPE,
  type GuestExecResponse,
  type GuestStatResponse,
  type GuestStatusResponse,
  guestExecRequest,
} from '../../api/guest.ts';
import { GuestError, GuestRemoteError, GuestUnavailableError } from '../../guest-protocol/errors.ts';
import { encodeFrame, FrameType } from '../../guest-protocol/frames.ts';
import { errorFromFrame } from '../../guest-protocol/tree.ts';
import { ApiError, badRequest } from '../errors.ts';
import { GuestClient } from '../guest/client.ts';
import { downloadFrames, uploadFrames } from '../guest/transfer.ts';
import { guestTargetOf } from '../guest/vsock.ts';
import { readJson, validate } from '../http/body.ts';
import { sendJson } from '../http/respond.ts';
import type { RouteContext, Router } from '../http/router.ts';
import type { MicrovmEntry } from '../microvm-entry.ts';
import { checkQuery, param, type RouteDeps } from './context.ts';

/** The guest agent's failures as API errors: unreachable is 503, its refusals keep its code. */
export function fromGuestError(err: unknown, what: string): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof GuestUnavailableError)
    return new ApiError(503, 'guest_unavailable', `${what}: ${err.message}`);
  if (err instanceof GuestRemoteError) {
    const status = err.code === 'not_found' ? 404 : 400;
    return new ApiError(status, 'guest_error', `${what}: ${err.message}`, { guest_code: err.code });
  }
  if (err instanceof GuestError) {
    return new ApiError(502, 'guest_error', `${what}: ${err.message}`, { guest_code: err.code });
  }
  throw err;
}

function guestOf(entry: MicrovmEntry): GuestClient {
  try {
    return new GuestClient(guestTargetOf(entry));
  } catch (err) {
    throw fromGuestError(err, `microVM ${entry.vm.name}`);
  }
}

function pathQuery(ctx: RouteContext): string {
  const path = ctx.query.get('path');
  if (!path?.startsWith('/')) {
    throw badRequest('path: an absolute path in the guest is required (?path=/...)', { field: 'path' });
  }
  return path;
}

function drain(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.once('drain', done);
    res.once('close', done);
  });
}

export function guestRoutes(router: Router, deps: RouteDeps): void {
  const { manager } = deps;
  router.add('GET', '/agent/microvms/:id/guest', async (ctx) => {
    checkQuery(ctx, []);
    const entry = manager.resolve(param(ctx, 'id'));
    const guest = guestOf(entry);
    try {
      const p = await guest.ping();
      const body: GuestStatusResponse = {
        ready: true,
        ...p.hello,
        uptime_ms: p.uptimeMs,
        boot_time_ms: p.bootTimeMs,
        rtt_ms: Math.round(p.rttMs * 100) / 100,
      };
      sendJson(ctx.res, 200, body);
    } catch (err) {
      throw fromGuestError(err, `microVM ${entry.vm.name}`);
    }
  });

  router.add('POST', '/agent/microvms/:id/exec', async (ctx) => {
    checkQuery(ctx, []);
    const req = validate(guestExecRequest, await readJson(ctx.req), 'exec request');
    const entry = manager.resolve(param(ctx, 'id'));
    const guest = guestOf(entry);
    try {
      const r = await guest.execBuffered({
        argv: req.argv,
        env: req.env,
        ...(req.cwd ? { cwd: req.cwd } : {}),
        ...(req.user ? { user: req.user } : {}),
        timeoutMs: req.timeout_ms,
        ...(req.stdin_base64 !== undefined ? { input: Buffer.from(req.stdin_base64, 'base64') } : {}),
        maxOutputBytes: 32 * 1024 * 1024,
      });
      const body: GuestExecResponse = {
        exit_code: r.exitCode,
        signal: r.signal,
        timed_out: r.timedOut,
        stdout_base64: r.stdout.toString('base64'),
        stderr_base64: r.stderr.toString('base64'),
      };
      sendJson(ctx.res, 200, body);
    } catch (err) {
      throw fromGuestError(err, `exec in microVM ${entry.vm.name}`);
    }
  });

  router.add('GET', '/agent/microvms/:id/files/stat', async (ctx) => {
    checkQuery(ctx, ['path']);
    const path = pathQuery(ctx);
    const entry = manager.resolve(param(ctx, 'id'));
    try {
      const st = await guestOf(entry).stat(path);
      const body: GuestStatResponse = {
        exists: st.exists,
        ...(st.type ? { type: st.type, mode: st.mode, size: st.size, mtime_ms: st.mtimeMs } : {}),
      };
      sendJson(ctx.res, 200, body);
    } catch (err) {
      throw fromGuestError(err, `stat ${path} in microVM ${entry.vm.name}`);
    }
  });

  router.add('PUT', '/agent/microvms/:id/files', async (ctx) => {
    checkQuery(ctx, ['path']);
    const path = pathQuery(ctx);
    if (ctx.req.headers['content-type'] !== GUEST_TREE_CONTENT_TYPE) {
      throw badRequest(
        `content-type: must be ${GUEST_TREE_CONTENT_TYPE} (a file tree, docs/guest-protocol.md)`,
      );
    }
    const entry = manager.resolve(param(ctx, 'id'));
    const target = guestOf(entry).target;
    try {
      // The body is already fc-guest's frames: relayed as they come, fc-guest validates them.
      const summary = await uploadFrames(target, path, ctx.req as AsyncIterable<Buffer>);
      sendJson(ctx.res, 200, summary);
    } catch (err) {
      ctx.req.resume();
      throw fromGuestError(err, `copy to ${path} in microVM ${entry.vm.name}`);
    }
  });

  router.add('GET', '/agent/microvms/:id/files', async (ctx) => {
    checkQuery(ctx, ['path']);
    const path = pathQuery(ctx);
    const entry = manager.resolve(param(ctx, 'id'));
    const frames = downloadFrames(guestOf(entry).target, path);
    let started = false;
    try {
      for await (const f of frames) {
        if (!started) {
          // An error before any entry is an HTTP error; later ones travel in the stream.
          if (f.type === FrameType.ERROR) {
            throw errorFromFrame(f);
          }
          ctx.res.writeHead(200, { 'content-type': GUEST_TREE_CONTENT_TYPE });
          started = true;
        }
        if (!ctx.res.write(encodeFrame(f.type, f.payload))) await drain(ctx.res);
        if (ctx.res.destroyed) break;
      }
      ctx.res.end();
    } catch (err) {
      if (!started) throw fromGuestError(err, `copy from ${path} in microVM ${entry.vm.name}`);
      // Mid-stream: the client sees the tree cut short (no END) and reports it.
      deps.log.error('download failed mid-stream', { microvm: entry.vm.name, path, error: err });
      ctx.res.destroy();
    }
  });
}
