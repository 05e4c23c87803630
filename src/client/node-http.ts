// node:http and node:https, loaded with require rather than import. On Node 22 an ESM import of
// node:http reads every export to build its namespace, and the lazy WebSocket, CloseEvent and
// MessageEvent getters among them load undici: about 40 ms of a short command like `fc-macos ls`
// (measured: `import 'node:http'` 118 ms vs require 72 ms, node -e 0 66 ms). require reads none.
import { createRequire } from 'node:module';

type Http = typeof import('node:http');

const load = createRequire(import.meta.url);

/** The request function for an http: or https: URL (TLS loads only for https). */
export function requestFor(url: URL): Http['request'] {
  return url.protocol === 'https:'
    ? (load('node:https') as typeof import('node:https')).request
    : (load('node:http') as Http).request;
}
