// The one place that turns any failure into the sentence the user sees (and the JSON error object
// in --json mode).
import { AgentApiError, AgentClientError } from '../client/errors.ts';
import { ConfigError } from '../config/errors.ts';
import { CliError, EXIT_FAILURE, EXIT_USAGE, formatFix, UsageError } from './errors.ts';

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
    const taken = err.details?.name;
    if (err.code === 'conflict' && typeof taken === 'string' && /already exists/.test(message)) {
      message = `${message.replace(/\.$/, '')}: remove it with \`fc-macos microvm rm --force ${taken}\`, or pick another --name`;
    }
    if (err.code === 'validation_failed' || err.code === 'bad_request') {
      message = `the agent refused the request: ${message}`;
    }
    return { code: err.code, message, exitCode: EXIT_FAILURE };
  }
  if (err instanceof AgentClientError || err instanceof CliError) {
    return { code: err.code, message: err.message, exitCode: EXIT_FAILURE };
  }
  const fix = (err as { fix?: unknown } | null)?.fix;
  if (err instanceof Error && typeof fix === 'string' && fix !== '') {
    // Host and provision errors carry their fix on a second line; the CLI says it in one sentence.
    const first = (err.message.split('\n  fix:')[0] ?? err.message).replace(/\.$/, '');
    const code = (err as { code?: unknown }).code;
    return {
      code: typeof code === 'string' ? code : 'internal',
      message: `${first}: ${formatFix(fix)}`,
      exitCode: EXIT_FAILURE,
    };
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
