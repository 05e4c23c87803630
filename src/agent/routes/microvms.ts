// The microVM collection: list, create, get, delete.
import { totalmem } from 'node:os';
import { createMicrovmRequest, type MicrovmList } from '../../api/schemas.ts';
import { badRequest } from '../errors.ts';
import { readJson, validate } from '../http/body.ts';
import { sendJson } from '../http/respond.ts';
import type { Router } from '../http/router.ts';
import { checkQuery, param, type RouteDeps } from './context.ts';

export function microvmRoutes(router: Router, deps: RouteDeps): void {
  const { manager } = deps;
  router.add('GET', '/agent/microvms', (ctx) => {
    checkQuery(ctx, []);
    const body: MicrovmList = { microvms: manager.list() };
    sendJson(ctx.res, 200, body);
  });
  router.add('POST', '/agent/microvms', async (ctx) => {
    checkQuery(ctx, []);
    const params = validate(createMicrovmRequest, await readJson(ctx.req), 'create request');
    // Firecracker would fail later with a bare "os error 12"; say the limit instead.
    const hostMib = Math.floor(totalmem() / 1024 / 1024);
    if (params.memory_mib > hostMib) {
      throw badRequest(
        `memory_mib: ${params.memory_mib} MiB is more than this host has (${hostMib} MiB in all)`,
        { field: 'memory_mib', max: hostMib },
      );
    }
    sendJson(ctx.res, 201, await manager.create(params));
  });
  router.add('GET', '/agent/microvms/:id', (ctx) => {
    checkQuery(ctx, []);
    sendJson(ctx.res, 200, manager.resolve(param(ctx, 'id')).vm);
  });
  // 200 with the final record (its exit and last console lines), not 204: `rm` can show them.
  router.add('DELETE', '/agent/microvms/:id', async (ctx) => {
    checkQuery(ctx, []);
    const entry = manager.resolve(param(ctx, 'id'));
    sendJson(ctx.res, 200, await manager.remove(entry));
  });
}
