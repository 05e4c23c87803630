// The fc-macos SDK: the agent's API shapes and a typed client for them.
export * from '../api/index.ts';
export {
  AgentClient,
  type AgentClientOptions,
  type FirecrackerResponse,
  type LogsOptions,
} from './agent-client.ts';
export { ConsoleConnection, type ConsoleEnd, type ConsoleEndKind } from './console.ts';
export * from './errors.ts';
export { type EventsOptions, parseSse } from './events.ts';
// A namespace, so Firecracker's names never collide with the agent's.
export * as firecrackerSchemas from './firecracker-schemas.ts';
export { CopyError, type CopyResult, type ExecBufferedResult } from './guest.ts';
