// The one place that turns any failure into the sentence the user sees (and the JSON error object
// in --json mode).
import { AgentApiError, AgentClientError } from '../client/errors.ts';
import { ConfigError } from '../config/errors.ts';
import { HostError } from '../host/errors.ts';
import { CliError, EXIT_FAILURE, EXIT_USAGE, UsageError } from './errors.ts';

export interface ErrorReport {
  code: string;
  message: string;
  exitCode: number;
}

/** The code, the one-sentence message and the exit code for any thrown value. */
export function describeError(err: unknown): ErrorReport {
  if (err instanceof UsageError) return { code: err.code, message: err.message, exitCode: EXIT_USAGE };
  if (err instanceof AgentApiError) {
    let message = err.message;
    if (err.code === 'not_found' && /microvm/i.test(message) && !/fc-macos/.test(message)) {
      message = `${message.replace(/\.$/, '')}: \`fc-macos microvm list\` shows the microVMs`;
    }
    if (err.code === 'validation_failed' || err.code === 'bad_request') {
      message = `the agent refused the request: ${message}`;
    }
    return { code: err.code, message, exitCode: EXIT_FAILURE };
  }
  if (err instanceof AgentClientError || err instanceof CliError) {
    return { code: err.code, message: err.message, exitCode: EXIT_FAILURE };
  }
  if (err instanceof HostError) {
    // HostError's message carries its fix on a second line; the CLI says it in one sentence.
    const first = (err.message.split('\n')[0] ?? err.message).replace(/\.$/, '');
    const fix = err.fix ? `: run \`${err.fix}\`` : '';
    return { code: err.code, message: `${first}${fix}`, exitCode: EXIT_FAILURE };
  }
  if (err instanceof ConfigError) {
    return {
      code: err.code,
      message: `${err.message} (fix the file, or run \`fc-macos setup\`)`,
      exitCode: 1,
    };
  }
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown } | null)?.code;
  return { code: typeof code === 'string' ? code : 'internal', message, exitCode: EXIT_FAILURE };
}
