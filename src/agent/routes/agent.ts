// GET /health (no auth), GET /agent/version, GET /agent/stats.
import type { HealthResponse } from '../../api/schemas.ts';
import { VERSION } from '../../version.ts';
import { resolveBinary } from '../config.ts';
import { sendJson } from '../http/respond.ts';
import type { Router } from '../http/router.ts';
import { systemInfo } from '../system-info.ts';
import { checkQuery, type RouteDeps } from './context.ts';

export function agentRoutes(router: Router, deps: RouteDeps): void {
  router.add('GET', '/health', (ctx) => {
    const body: HealthResponse = { status: 'ok', version: VERSION };
    sendJson(ctx.res, 200, body);
  });
  router.add('GET', '/agent/version', async (ctx) => {
    checkQuery(ctx, []);
    const info = await systemInfo(resolveBinary(deps.config.firecracker));
    sendJson(ctx.res, 200, { ...info, uptime_s: Math.round(process.uptime()) });
  });
  router.add('GET', '/agent/stats', async (ctx) => {
    checkQuery(ctx, []);
    sendJson(ctx.res, 200, await deps.stats.stats(deps.manager.list()));
  });
}
