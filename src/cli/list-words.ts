// The words that spell the list command (`ls`, `ps`, `microvm ls|list`, `--json` first), in one
// place: the launcher checks the first word before it loads the list's own bundle, and
// commands/list-quick.ts parses the whole argument list with the same sets.
export const LIST_TOP = new Set(['ls', 'ps']);
export const LIST_GROUP = new Set(['microvm', 'microvms']);
export const LIST_SUB = new Set(['ls', 'list']);

/** Whether the argument list may be a list command (list-quick.ts's fastListArgs decides). */
export function isListCommand(args: readonly string[]): boolean {
  const first = args[0] ?? '';
  return first === '--json' || LIST_TOP.has(first) || LIST_GROUP.has(first);
}
