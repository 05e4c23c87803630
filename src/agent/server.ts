// The HTTP server: auth on every route but GET /health, routing, one error shape, the console
// WebSocket upgrade, and a shutdown that lets in-flight requests finish.
import { createServer, type IncomingMessage, type Server, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Authenticator } from './auth.ts';
import { ApiError } from './errors.ts';
import { handleExecUpgrade } from './guest/exec-ws.ts';
import { errorBody, sendError } from './http/respond.ts';
import { Router, splitUrl } from './http/router.ts';
import { agentRoutes } from './routes/agent.ts';
import { consoleRoutes, consoleUpgrade, notConsolePath } from './routes/console.ts';
import type { RouteDeps } from './routes/context.ts';
import { eventRoutes } from './routes/events.ts';
import { guestRoutes } from './routes/guest.ts';
import { lifecycleRoutes } from './routes/lifecycle.ts';
import { microvmRoutes } from './routes/microvms.ts';
import { passthroughRoutes } from './routes/passthrough.ts';
import { portForwardRoutes, portForwardUpgrade } from './routes/port-forward.ts';

export interface ServerDeps extends RouteDeps {
  auth: Authenticator;
}

export function buildRouter(deps: RouteDeps): Router {
  const router = new Router();
  agentRoutes(router, deps);
  eventRoutes(router, deps);
  microvmRoutes(router, deps);
  lifecycleRoutes(router, deps);
  consoleRoutes(router, deps);
  guestRoutes(router, deps);
  passthroughRoutes(router, deps);
  portForwardRoutes(router, deps);
  return router;
}

function unauthorized(why: string): ApiError {
  return new ApiError(401, 'unauthorized', `unauthorized: ${why}`, undefined, {
    'www-authenticate': 'Bearer realm="fc-agent"',
  });
}

function internal(err: unknown): ApiError {
  return new ApiError(500, 'internal', `internal error: ${err instanceof Error ? err.message : String(err)}`);
}

/** An HTTP error answer written straight onto a socket that asked for an upgrade. */
function rejectUpgrade(socket: Duplex, err: ApiError): void {
  const body = JSON.stringify(errorBody(err));
  const extra = Object.entries(err.headers ?? {})
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  socket.on('error', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${err.status} ${STATUS_CODES[err.status] ?? ''}\r\n` +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      `${extra}Connection: close\r\n\r\n${body}`,
  );
}

export function createAgentServer(deps: ServerDeps): Server {
  const { auth, log } = deps;
  const router = buildRouter(deps);
  const server = createServer({ requestTimeout: 0 }, (req, res) => {
    // Only at debug: a listener and a record per request cost the passthrough's tail latency.
    if (log.enabled('debug')) {
      const started = Date.now();
      res.on('finish', () =>
        log.debug('request', {
          method: req.method,
          url: req.url,
          status: res.statusCode,
          ms: Date.now() - started,
        }),
      );
    }
    void (async () => {
      try {
        const url = splitUrl(req.url ?? '/');
        const method = (req.method ?? 'GET').toUpperCase();
        if (!(method === 'GET' && url.rawPath === '/health')) {
          const why = auth.check(req);
          if (why !== null) throw unauthorized(why);
        }
        const route = router.match(method, url);
        let query: URLSearchParams | undefined;
        await route.handler({
          req,
          res,
          params: route.params,
          rest: route.rest,
          rawQuery: url.rawQuery,
          // Parsed by the routes that read it, not for every request.
          get query() {
            query ??= new URLSearchParams(url.rawQuery);
            return query;
          },
        });
      } catch (err) {
        const apiErr = err instanceof ApiError ? err : internal(err);
        // A guest that is not up yet answers 503 guest_unavailable to every readiness poll of
        // `run --wait`: expected, not an agent failure. Other 5xx are failures of a layer.
        if (apiErr.status >= 500) {
          const level = apiErr.code === 'guest_unavailable' ? 'debug' : 'error';
          log[level]('request failed', { method: req.method, url: req.url, error: err });
        }
        sendError(res, apiErr);
      }
    })();
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    try {
      const url = splitUrl(req.url ?? '/');
      const why = auth.check(req);
      if (why !== null) throw unauthorized(why);
      const s = url.segments;
      if (
        req.method === 'GET' &&
        s.length === 4 &&
        s[0] === 'agent' &&
        s[1] === 'microvms' &&
        s[3] === 'port-forward'
      ) {
        const query = new URLSearchParams(url.rawQuery);
        portForwardUpgrade(deps.manager, s[2] ?? '', query, req, socket, head, rejectUpgrade);
        return;
      }
      if (
        req.method !== 'GET' ||
        s.length !== 4 ||
        s[0] !== 'agent' ||
        s[1] !== 'microvms' ||
        (s[3] !== 'console' && s[3] !== 'exec')
      ) {
        throw notConsolePath(url.rawPath);
      }
      if (s[3] === 'exec') handleExecUpgrade(req, socket, head, deps.manager.resolve(s[2] ?? ''), log);
      else consoleUpgrade(deps.manager, s[2] ?? '', req, socket, head);
    } catch (err) {
      const apiErr = err instanceof ApiError ? err : internal(err);
      if (apiErr.status >= 500) log.error('console upgrade failed', { url: req.url, error: err });
      rejectUpgrade(socket, apiErr);
    }
  });

  server.on('clientError', (err, socket) => {
    if (socket.writable) {
      rejectUpgrade(socket, new ApiError(400, 'bad_request', `malformed HTTP request: ${err.message}`));
    } else {
      socket.destroy();
    }
  });
  return server;
}
