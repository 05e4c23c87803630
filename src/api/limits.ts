// Timings and limits the agent, the SDK and the CLI share: one value, one name.

/** Default grace period of a stop before the kill (`POST .../stop` timeout_s, `--timeout`). */
export const DEFAULT_STOP_TIMEOUT_S = 10;
/** Longest stop grace period a caller may ask for. */
export const MAX_STOP_TIMEOUT_S = 600;
/** Firecracker's snapshot create/load can copy all guest memory: they get this long. */
export const SNAPSHOT_TIMEOUT_MS = 300_000;
