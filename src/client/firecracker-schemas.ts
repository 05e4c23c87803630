// Firecracker's request/response bodies, for users of the passthrough (`AgentClient.firecracker`):
// the agent forwards them unchanged, so the SDK offers the same zod schemas the agent validates
// with. Only the schema module (zod, no socket code) is re-exported, so the CLI keeps depending on
// the SDK alone and never on src/firecracker's client or launcher.
export * from '../firecracker/schemas.ts';
