export class ConfigError extends Error {
  readonly code = 'config_invalid';
  constructor(
    message: string,
    readonly file: string,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}
