// The one ConfigError of fc-macos: a config.yaml of the CLI, or fc-agent's flags and FC_AGENT_*
// variables, that cannot be used. The message names the file or flag and what is allowed.
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'config_invalid';
  constructor(
    message: string,
    /** The file at fault, when it is a file (config.yaml); absent for flags and variables. */
    readonly file?: string,
  ) {
    super(message);
  }
}
