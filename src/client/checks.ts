// The checks the SDK runs on the agent's answers: the API's zod schemas as JSON Schemas
// (src/api/response-json-schemas.ts, made JSON by the build), run by src/api/json-check.ts. The
// types come from the zod schemas themselves; only types are taken from zod here.
import type { z } from 'zod';
import { Check } from '../api/json-check.ts';
import {
  type ResponseSchemaName,
  responseJsonSchema,
  type responseSchemas,
} from '../api/response-json-schemas.ts';

type Schemas = typeof responseSchemas;

function check<K extends ResponseSchemaName>(name: K): Check<z.output<Schemas[K]>> {
  // Each schema is read when its check first runs: a command reads one or two kinds of answer.
  return new Check(() => responseJsonSchema(name));
}

export const checks = {
  agentEvent: check('agentEvent'),
  deleteMicrovmResponse: check('deleteMicrovmResponse'),
  errorResponse: check('errorResponse'),
  guestExecEvent: check('guestExecEvent'),
  guestExecResponse: check('guestExecResponse'),
  guestStatResponse: check('guestStatResponse'),
  guestStatusResponse: check('guestStatusResponse'),
  guestTransferSummary: check('guestTransferSummary'),
  healthResponse: check('healthResponse'),
  microvm: check('microvm'),
  microvmList: check('microvmList'),
  statsResponse: check('statsResponse'),
  stopMicrovmResponse: check('stopMicrovmResponse'),
  versionResponse: check('versionResponse'),
};

/** The event types of GET /agent/events, read from the agentEvent union. */
export function agentEventTypes(): string[] {
  const agentEvent = responseJsonSchema('agentEvent');
  const options = (agentEvent.oneOf ?? agentEvent.anyOf ?? []) as Array<{
    properties?: { type?: { const?: unknown } };
  }>;
  return options.map((o) => o.properties?.type?.const).filter((t): t is string => typeof t === 'string');
}
