// What every route group gets: the registry/lifecycle manager, config, logs, stats.
import type { AgentConfig } from '../config.ts';
import { badRequest } from '../errors.ts';
import type { RouteContext } from '../http/router.ts';
import type { Logger } from '../log.ts';
import type { MicrovmManager } from '../manager.ts';
import type { StatsCollector } from '../stats.ts';

export interface RouteDeps {
  manager: MicrovmManager;
  config: AgentConfig;
  log: Logger;
  stats: StatsCollector;
}

/** Refuses query parameters a route does not know (a typo should not be silently ignored). */
export function checkQuery(ctx: RouteContext, allowed: readonly string[]): void {
  for (const key of new Set(ctx.query.keys())) {
    if (!allowed.includes(key)) {
      throw badRequest(
        `unknown query parameter "${key}"${allowed.length ? ` (allowed: ${allowed.join(', ')})` : ' (this route takes none)'}`,
        { field: key },
      );
    }
  }
}

export function param(ctx: RouteContext, name: string): string {
  const v = ctx.params[name];
  if (v === undefined) throw badRequest(`missing path parameter ${name}`);
  return v;
}
