// The first word of every list command's spelling (`ls`, `ps`, `microvm ls|list`, with `--json`
// first): only these take the list commands' own routes (commands/list-quick.ts, list.ts), which
// check the whole argument list themselves.
const FIRST = new Set(['ls', 'ps', 'microvm', 'microvms', '--json']);

export function isListCommand(args: readonly string[]): boolean {
  return FIRST.has(args[0] ?? '');
}
