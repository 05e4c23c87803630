// Typed failures of the SDK. Each says which layer failed: the agent answered with an error
// (AgentApiError), refused the token (AgentAuthError), did not answer at all
// (AgentUnreachableError), or answered something this SDK does not understand (AgentProtocolError).
import { checks } from './checks.ts';

export type AgentClientErrorCode =
  | 'agent_unreachable'
  | 'unauthorized'
  | 'agent_protocol'
  // The agent's own codes (src/api/schemas.ts errorCode), carried by AgentApiError.
  | string;

export class AgentClientError extends Error {
  override readonly name: string = 'AgentClientError';
  constructor(
    readonly code: AgentClientErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** The agent answered with its JSON error body (`{"error":{"code","message","details"?}}`). */
export class AgentApiError extends AgentClientError {
  override readonly name = 'AgentApiError';
  constructor(
    readonly status: number,
    code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(code, message);
  }
}

/** 401: the token is missing or is not the agent's. */
export class AgentAuthError extends AgentClientError {
  override readonly name = 'AgentAuthError';
  constructor(
    readonly url: string,
    readonly agentMessage: string,
    readonly hint = 'run `fc-macos setup` to re-write the token',
  ) {
    super(
      'unauthorized',
      `the agent at ${url} refused the token (${agentMessage.replace(/^unauthorized:\s*/i, '')}): ${hint}`,
    );
  }
}

/** Connection refused, name not resolved, reset, or no answer in time. */
export class AgentUnreachableError extends AgentClientError {
  override readonly name = 'AgentUnreachableError';
  /** True when nothing reached the agent (connection refused, no route, …): sending again is safe. */
  notSent = false;

  constructor(
    readonly url: string,
    /** Short cause: "connection refused", "no answer within 30s", … */
    readonly reason: string,
    /** What fixes it, e.g. "run `fc-macos vm start`"; the CLI fills it from the provider. */
    readonly hint?: string,
  ) {
    super('agent_unreachable', `the agent at ${url} is not answering (${reason})${hint ? `: ${hint}` : ''}`);
  }
}

/** A response that does not match the API's shapes (an agent of another version, or not an agent). */
export class AgentProtocolError extends AgentClientError {
  override readonly name = 'AgentProtocolError';
  constructor(
    readonly url: string,
    what: string,
  ) {
    super(
      'agent_protocol',
      `the agent at ${url} answered ${what}; is it an fc-agent of the same version? run \`fc-macos setup\` to update it`,
    );
  }
}

/** Maps a Node network error code to a few words a user understands. */
// Failures before a connection existed: the request cannot have reached the agent.
const NOT_SENT = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** Whether a fetch failure happened before anything was sent (so sending again is safe). */
export function notSent(err: unknown): boolean {
  const seen = new Set<unknown>();
  for (
    let cur = err;
    cur && typeof cur === 'object' && !seen.has(cur);
    cur = (cur as { cause?: unknown }).cause
  ) {
    seen.add(cur);
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && NOT_SENT.has(code)) return true;
  }
  return false;
}

export function describeNetworkError(err: unknown): string {
  const seen = new Set<unknown>();
  let cur: unknown = err;
  let deepest: unknown = err;
  while (cur && typeof cur === 'object' && !seen.has(cur)) {
    deepest = cur;
    seen.add(cur);
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string') {
      switch (code) {
        case 'ECONNREFUSED':
          return 'connection refused';
        case 'ENOTFOUND':
        case 'EAI_AGAIN':
          return 'host name not found';
        case 'ECONNRESET':
        case 'UND_ERR_SOCKET':
          return 'connection reset';
        case 'EHOSTUNREACH':
        case 'ENETUNREACH':
          return 'no route to host';
        case 'ETIMEDOUT':
        case 'UND_ERR_CONNECT_TIMEOUT':
          return 'connection timed out';
        default:
          if (/^E[A-Z]+$/.test(code)) return code;
      }
    }
    cur = (cur as { cause?: unknown }).cause;
  }
  // fetch's own TypeError says only "fetch failed"; the innermost cause says why.
  return deepest instanceof Error ? deepest.message : String(deepest);
}

/**
 * The typed error for a failed answer from the agent, from its status and body text: 401 →
 * AgentAuthError, an fc-agent error body → AgentApiError, anything else → AgentProtocolError.
 * `what` names the request for the last two cases, e.g. "GET /agent/microvms".
 */
export function errorFromAnswer(
  status: number,
  text: string,
  ctx: { baseUrl: string; what: string; authHint?: string },
): AgentClientError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const body = checks.errorResponse.safeParse(parsed);
  if (status === 401) {
    return new AgentAuthError(
      ctx.baseUrl,
      body.success ? body.data.error.message : `HTTP 401 on ${ctx.what}`,
      ctx.authHint,
    );
  }
  if (body.success) {
    const e = body.data.error;
    return new AgentApiError(status, e.code, e.message, e.details);
  }
  return new AgentProtocolError(
    ctx.baseUrl,
    `HTTP ${status} to ${ctx.what} without an fc-agent error body (${snippet(text)})`,
  );
}

/** A body as one short line, for error messages. */
export function snippet(text: string): string {
  const t = text.trim().replace(/\s+/g, ' ');
  if (t === '') return 'empty body';
  return t.length > 120 ? `${t.slice(0, 120)}…` : t;
}
