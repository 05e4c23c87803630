// GET .../console (the WebSocket; the upgrade itself is routed by server.ts to consoleUpgrade)
// and GET .../logs. The console engineer's modules do the streaming; this finds the microVM.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { logSource, MAX_LOG_TAIL } from '../../api/schemas.ts';
import { handleConsoleUpgrade } from '../console/attach.ts';
import { serveLogs } from '../console/logs.ts';
import type { ConsoleSession } from '../console/session.ts';
import { ApiError, badRequest, invalidState } from '../errors.ts';
import type { Router } from '../http/router.ts';
import type { MicrovmManager } from '../manager.ts';
import type { MicrovmEntry } from '../microvm-entry.ts';
import { checkQuery, param, type RouteDeps } from './context.ts';

const MAX_TAIL = MAX_LOG_TAIL;

function sessionOf(entry: MicrovmEntry): ConsoleSession {
  if (!entry.session) {
    throw invalidState(
      `microVM ${entry.vm.name} has no console: its console.log could not be opened (see the agent's log)`,
    );
  }
  return entry.session;
}

export function consoleRoutes(router: Router, deps: RouteDeps): void {
  const { manager } = deps;
  router.add('GET', '/agent/microvms/:id/console', (ctx) => {
    manager.resolve(param(ctx, 'id'));
    throw new ApiError(
      426,
      'bad_request',
      'the console is a WebSocket: send "Connection: Upgrade" and "Upgrade: websocket" (see docs/console-protocol.md)',
      undefined,
      { upgrade: 'websocket', connection: 'Upgrade' },
    );
  });
  router.add('GET', '/agent/microvms/:id/logs', (ctx) => {
    checkQuery(ctx, ['tail', 'follow', 'source']);
    const q = ctx.query;
    let tail: number | undefined;
    const tailRaw = q.get('tail');
    if (tailRaw !== null) {
      if (!/^\d+$/.test(tailRaw) || Number(tailRaw) > MAX_TAIL) {
        throw new ApiError(
          400,
          'validation_failed',
          `tail: must be a whole number between 0 and ${MAX_TAIL}`,
          {
            field: 'tail',
          },
        );
      }
      tail = Number(tailRaw);
    }
    const followRaw = q.get('follow');
    let follow = false;
    if (followRaw !== null) {
      if (!/^(1|0|true|false)$/.test(followRaw)) {
        throw new ApiError(400, 'validation_failed', 'follow: must be 1, 0, true or false', {
          field: 'follow',
        });
      }
      follow = followRaw === '1' || followRaw === 'true';
    }
    const sourceRaw = q.get('source') ?? 'console';
    const parsed = logSource.safeParse(sourceRaw);
    if (!parsed.success) {
      throw new ApiError(400, 'validation_failed', `source: must be one of ${logSource.options.join(', ')}`, {
        field: 'source',
      });
    }
    const entry = manager.resolve(param(ctx, 'id'));
    serveLogs(ctx.req, ctx.res, sessionOf(entry), {
      ...(tail === undefined ? {} : { tail }),
      follow,
      source: parsed.data,
      filePath: parsed.data === 'metrics' ? entry.paths.metrics : entry.paths.firecrackerLog,
      isAlive: () => entry.alive && !entry.removed && !manager.isShuttingDown,
    });
  });
}

/** The WebSocket upgrade of GET /agent/microvms/{idOrName}/console (auth already checked). */
export function consoleUpgrade(
  manager: MicrovmManager,
  id: string,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): void {
  if (manager.isShuttingDown) throw new ApiError(503, 'internal', 'fc-agent is shutting down');
  const entry = manager.resolve(id);
  handleConsoleUpgrade(req, socket, head, sessionOf(entry));
}

export function notConsolePath(path: string): ApiError {
  return badRequest(
    `WebSocket upgrades are only served on /agent/microvms/{idOrName}/console and .../exec, not ${path}`,
  );
}
