// The JSON Schemas of every body the SDK reads from the agent, written by zod from the API's own
// schemas (the one source of truth). The SDK checks answers with them through json-check.ts; the
// build (scripts/build.mjs) runs this module once and puts its value in the bundles as plain JSON,
// so a command that reads from the agent never loads zod. In the source tree (tests) it runs here.
import { z } from 'zod';
import { agentEvent } from './events.ts';
import * as guest from './guest.ts';
import * as api from './schemas.ts';

/** Every schema read from the agent, by the name the SDK uses. */
export const responseSchemas = {
  agentEvent,
  errorResponse: api.errorResponse,
  guestExecEvent: guest.guestExecEvent,
  guestExecResponse: guest.guestExecResponse,
  guestStatResponse: guest.guestStatResponse,
  guestStatusResponse: guest.guestStatusResponse,
  guestTransferSummary: guest.guestTransferSummary,
  healthResponse: api.healthResponse,
  microvm: api.microvm,
  microvmList: api.microvmList,
  statsResponse: api.statsResponse,
  stopMicrovmResponse: api.stopMicrovmResponse,
  versionResponse: api.versionResponse,
  /** DELETE answers `{ microvm }` (older agents: the record itself). */
  deleteMicrovmResponse: z.union([z.object({ microvm: api.microvm }), api.microvm]),
};

export type ResponseSchemaName = keyof typeof responseSchemas;

/**
 * What a body may be on the wire ("input": defaults may be missing), which json-check.ts turns
 * into what zod's parse gives back.
 */
export function responseJsonSchema(name: ResponseSchemaName): Record<string, unknown> {
  return z.toJSONSchema(responseSchemas[name] as z.ZodType, { io: 'input' }) as Record<string, unknown>;
}

/** All of them, by name (what the build inlines, and what tests compare). */
export function responseJsonSchemas(): Record<ResponseSchemaName, Record<string, unknown>> {
  const out = {} as Record<ResponseSchemaName, Record<string, unknown>>;
  for (const name of Object.keys(responseSchemas) as ResponseSchemaName[])
    out[name] = responseJsonSchema(name);
  return out;
}
