// Firecracker's command line: `--name value` pairs and flags, with its own error texts.
const WITH_VALUE = new Set([
  'api-sock',
  'id',
  'level',
  'log-path',
  'metrics-path',
  'config-file',
  'seccomp-filter',
  'start-time-us',
  'start-time-cpu-us',
  'parent-cpu-time-us',
  'http-api-max-payload-size',
  'mmds-size-limit',
  'module',
  'describe-snapshot',
]);
const FLAGS = new Set([
  'show-level',
  'show-log-origin',
  'no-api',
  'boot-timer',
  'no-seccomp',
  'version',
  'help',
  'snapshot-version',
  'enable-pci',
]);

export class ArgError extends Error {
  readonly code = 'arg_error';
  constructor(
    /** The text after "Arguments parsing error: ". */
    readonly text: string,
    /** Rust Debug form, as printed on stderr: `Error: ParseArguments(...)`. */
    readonly debug: string,
  ) {
    super(text);
  }
}

export type Args = Map<string, string | true>;

export function parseArgs(argv: string[]): Args {
  const out: Args = new Map();
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i] ?? '';
    const name = raw.startsWith('--') ? raw.slice(2) : raw;
    if (!raw.startsWith('--') || (!WITH_VALUE.has(name) && !FLAGS.has(name)))
      throw new ArgError(
        `Found argument '${name}' which wasn't expected, or isn't valid in this context.`,
        `UnexpectedArgument(${JSON.stringify(name)})`,
      );
    if (out.has(name))
      throw new ArgError(
        `The argument '${name}' was provided more than once.`,
        `DuplicateArgument(${JSON.stringify(name)})`,
      );
    if (FLAGS.has(name)) {
      out.set(name, true);
      continue;
    }
    const value = argv[i + 1];
    if (value === undefined || value.startsWith('--'))
      throw new ArgError(
        `The argument '${name}' requires a value, but none was supplied.`,
        `MissingValue(${JSON.stringify(name)})`,
      );
    out.set(name, value);
    i++;
  }
  return out;
}

/** The instance id rules (1..=64 characters, alphanumeric or '-'), with Rust's Debug wording. */
export function idProblem(id: string): string | undefined {
  const chars = [...id];
  if (chars.length < 1 || chars.length > 64) return `InvalidLen(${chars.length}, 1, 64)`;
  const bad = chars.findIndex((c) => !(c === '-' || /^[\p{L}\p{N}]$/u.test(c)));
  if (bad !== -1) {
    const c = chars[bad] ?? '';
    const shown = c === "'" ? "\\'" : c === '\\' ? '\\\\' : c;
    return `InvalidChar('${shown}', ${bad})`;
  }
  return undefined;
}
