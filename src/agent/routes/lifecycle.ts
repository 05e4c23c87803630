// POST .../start|stop|kill|pause|resume.
import { z } from 'zod';
import { stopMicrovmRequest } from '../../api/schemas.ts';
import { readJson, validate } from '../http/body.ts';
import { sendJson } from '../http/respond.ts';
import type { Router } from '../http/router.ts';
import { checkQuery, param, type RouteDeps } from './context.ts';

const noBody = z.strictObject({});

export function lifecycleRoutes(router: Router, deps: RouteDeps): void {
  const { manager } = deps;
  const simple = ['start', 'kill', 'pause', 'resume'] as const;
  for (const op of simple) {
    router.add('POST', `/agent/microvms/:id/${op}`, async (ctx) => {
      checkQuery(ctx, []);
      validate(noBody, await readJson(ctx.req), `${op} request (it takes no fields)`);
      const entry = manager.resolve(param(ctx, 'id'));
      const vm = await manager[op](entry);
      sendJson(ctx.res, 200, vm);
    });
  }
  router.add('POST', '/agent/microvms/:id/stop', async (ctx) => {
    checkQuery(ctx, []);
    const req = validate(stopMicrovmRequest, await readJson(ctx.req), 'stop request');
    const entry = manager.resolve(param(ctx, 'id'));
    sendJson(ctx.res, 200, await manager.stop(entry, req));
  });
}
