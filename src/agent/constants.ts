// The agent's timings and sizes, named in one place. Values the CLI and the SDK share with the
// agent (stop timeout, snapshot timeout) live in src/api/limits.ts.
export { SNAPSHOT_TIMEOUT_MS } from '../api/limits.ts';

/** Last console lines kept in a stopped or exited microVM's record. */
export const LAST_CONSOLE_LINES = 20;
/** How often a firecracker that is not our child (adopted after a restart) is checked for life. */
export const ADOPTED_POLL_MS = 500;
/** After SIGKILL, how long until the process is called unkillable. */
export const KILL_WAIT_MS = 10_000;
/** How long an adopted firecracker gets to answer on its socket before it is called hung. */
export const ADOPT_PROBE_TIMEOUT_MS = 3_000;
/** Graceful-stop timeout for each microVM when the agent stops with --stop-vms-on-exit. */
export const SHUTDOWN_STOP_TIMEOUT_S = 5;
/** How long a shutdown waits for in-flight requests before cutting connections. */
export const SHUTDOWN_GRACE_MS = 10_000;
/** Lines of firecracker's log quoted when it dies during a create. */
export const CRASH_LOG_TAIL_LINES = 10;
/** Events the agent keeps for clients resuming with ?since= / Last-Event-ID. */
export const EVENTS_KEPT = 1_000;
/** A `: keepalive` comment on every event stream this often, so proxies and clients see it alive. */
export const EVENTS_KEEPALIVE_MS = 15_000;
/** An event stream whose client reads slower than this much backlog is cut (it can resume). */
export const EVENTS_MAX_BUFFERED_BYTES = 1_048_576;
/** How much of a log's end is read for its last lines or Firecracker's exit code. */
export const LOG_TAIL_WINDOW_BYTES = 64 * 1024;
/** How much of the console's end is searched for the guest's last words (exit code from the log). */
export const CONSOLE_TAIL_WINDOW_BYTES = 4 * 1024;
/** During a shutdown, connections that went idle are closed this often. */
export const SHUTDOWN_IDLE_SWEEP_MS = 100;
/**
 * Before a pause, the console must have printed nothing for this long: Firecracker 1.14 does not
 * save the UART in a snapshot, and a snapshot taken while the guest's 8250 driver has output in
 * flight restores with a console that never prints again (docs/snapshots.md).
 */
export const CONSOLE_QUIET_MS = 500;
/** A console that never goes quiet (a guest printing without end) is paused after this long anyway. */
export const CONSOLE_QUIET_MAX_MS = 5_000;
