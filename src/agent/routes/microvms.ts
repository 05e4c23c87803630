// The microVM collection: list, create, get, delete.
import { createMicrovmRequest, type MicrovmList } from '../../api/schemas.ts';
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
