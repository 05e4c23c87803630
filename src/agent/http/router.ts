// A small router over raw request paths. Paths are split and decoded segment by segment, never
// normalized (no URL resolution of "..": a traversal attempt is refused, not silently rewritten).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, badRequest, notFound } from '../errors.ts';

export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  /** The raw path after a trailing `*` pattern segment, starting with "/" (or "/" when empty). */
  rest: string;
  /** The raw query string without "?" ('' when none). */
  rawQuery: string;
  query: URLSearchParams;
}

export type Handler = (ctx: RouteContext) => Promise<void> | void;

interface Route {
  method: string;
  segments: string[];
  handler: Handler;
}

export interface SplitUrl {
  rawPath: string;
  rawQuery: string;
  segments: string[];
}

/** Splits a request target into decoded path segments, refusing anything that could traverse. */
export function splitUrl(url: string): SplitUrl {
  const q = url.indexOf('?');
  const rawPath = q === -1 ? url : url.slice(0, q);
  const rawQuery = q === -1 ? '' : url.slice(q + 1);
  if (!rawPath.startsWith('/'))
    throw badRequest(`request path must start with "/": ${rawPath.slice(0, 200)}`);
  const parts = rawPath.split('/').slice(1);
  // A trailing slash is tolerated on our own routes ("/agent/microvms/").
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  const segments = parts.map((part) => {
    let decoded: string;
    try {
      decoded = decodeURIComponent(part);
    } catch {
      throw badRequest(`request path has a malformed %-escape in "${part.slice(0, 100)}"`);
    }
    if (decoded === '.' || decoded === '..' || decoded.includes('/') || decoded.includes('\0')) {
      throw badRequest(`request path segment "${part.slice(0, 100)}" is not allowed (path traversal)`);
    }
    return decoded;
  });
  return { rawPath, rawQuery, segments };
}

export class Router {
  private readonly routes: Route[] = [];

  add(method: string, pattern: string, handler: Handler): this {
    this.routes.push({ method, segments: pattern.split('/').slice(1), handler });
    return this;
  }

  /** The matching handler, or a 404 (no such path) / 405 (path known, method not). */
  match(method: string, url: SplitUrl): { handler: Handler; params: Record<string, string>; rest: string } {
    const allowed = new Set<string>();
    for (const route of this.routes) {
      const params = matchSegments(route.segments, url);
      if (!params) continue;
      if (route.method !== method && route.method !== '*') {
        allowed.add(route.method);
        continue;
      }
      return { handler: route.handler, params: params.params, rest: params.rest };
    }
    if (allowed.size > 0) {
      const list = [...allowed].sort().join(', ');
      throw new ApiError(
        405,
        'bad_request',
        `method ${method} is not allowed on ${url.rawPath} (allowed: ${list})`,
        { allowed: [...allowed].sort() },
        { allow: list },
      );
    }
    throw notFound(`no route ${method} ${url.rawPath}: see docs/agent-api.md for the routes`);
  }
}

function matchSegments(
  pattern: string[],
  url: SplitUrl,
): { params: Record<string, string>; rest: string } | null {
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i] ?? '';
    if (p === '*') {
      // Rebuild the raw remainder from the raw path so Firecracker sees exactly what was sent.
      const rawParts = url.rawPath.split('/').slice(1);
      const rest = `/${rawParts.slice(i).join('/')}`;
      return { params, rest };
    }
    const s = url.segments[i];
    if (s === undefined) return null;
    if (p.startsWith(':')) params[p.slice(1)] = s;
    else if (p !== s) return null;
  }
  return url.segments.length === pattern.length ? { params, rest: '/' } : null;
}
