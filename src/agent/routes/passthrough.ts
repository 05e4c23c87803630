// ANY /agent/microvms/{idOrName}/firecracker/<path>: Firecracker's own API for that microVM,
// method/path/query/body forwarded unchanged and its answer returned unchanged. It never starts a
// firecracker; after a successful write the registry re-reads state from Firecracker.
import { readBody } from '../http/body.ts';
import type { Router } from '../http/router.ts';
import { param, type RouteDeps } from './context.ts';

/** Firecracker's answer headers worth passing on; the rest (Server, Connection) describe its socket. */
const FORWARDED = ['content-type', 'deprecation'];

export function passthroughRoutes(router: Router, deps: RouteDeps): void {
  const { manager } = deps;
  router.add('*', '/agent/microvms/:id/firecracker/*', async (ctx) => {
    const entry = manager.resolve(param(ctx, 'id'));
    const method = (ctx.req.method ?? 'GET').toUpperCase();
    const raw = await readBody(ctx.req);
    const body = raw.length > 0 ? raw : undefined;
    const target = ctx.rawQuery === '' ? ctx.rest : `${ctx.rest}?${ctx.rawQuery}`;
    const contentType = ctx.req.headers['content-type'];
    const answer = await manager.passthrough(entry, { method, pathAndQuery: target, body, contentType });
    const headers: Record<string, string | number> = { 'content-length': answer.body.length };
    for (const name of FORWARDED) {
      const v = answer.headers[name];
      if (v !== undefined) headers[name] = v;
    }
    ctx.res.writeHead(answer.status, headers);
    ctx.res.end(method === 'HEAD' ? undefined : answer.body);
  });
}
