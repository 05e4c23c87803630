export * from './client.ts';
export * from './errors.ts';
export * from './launcher.ts';
// Both modules name something `firecrackerVersion`: the helper that runs `--version` wins here;
// the GET /version body schema stays reachable under a distinct name.
export { firecrackerVersion } from './launcher.ts';
export * from './schemas.ts';
export { firecrackerVersion as firecrackerVersionSchema } from './schemas.ts';
