// The fc-macos SDK: the agent's API shapes and a typed client for them.
export * from '../api/index.ts';
export {
  AgentClient,
  type AgentClientOptions,
  type FirecrackerResponse,
  type LogSource,
  type LogsOptions,
} from './agent-client.ts';
export { CLOSE_CLIENT_TOO_SLOW, ConsoleConnection, type ConsoleEnd, type ConsoleEndKind } from './console.ts';
export * from './errors.ts';
