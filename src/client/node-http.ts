// node:http and node:https, loaded on the first request (and TLS only for an https: URL), with
// require rather than import: on Node 22 an ESM import of node:http reads every export to build
// its namespace, and the lazy WebSocket, CloseEvent and MessageEvent getters among them load
// undici (measured: `import 'node:http'` 118 ms vs require 72 ms, node -e 0 66 ms). The bundles
// turn every other builtin import into a require too (scripts/esbuild-builtins.mjs).
import { createRequire } from 'node:module';

type Http = typeof import('node:http');

const load = createRequire(import.meta.url);

/** The request function for an http: or https: URL (TLS loads only for https). */
export function requestFor(url: URL): Http['request'] {
  return url.protocol === 'https:'
    ? (load('node:https') as typeof import('node:https')).request
    : (load('node:http') as Http).request;
}
