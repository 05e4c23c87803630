// What fc-macos runs once `--help` was not answered from the cached text: V8's compile cache on
// Node 22.1+, then the list commands' own routes, then the CLI itself (start.ts).
import { enableCompileCache } from './compile-cache.ts';
import { isListCommand } from './list-words.ts';

/**
 * `quickListTried`: the launcher (launcher.ts) already ran the quick list and it handed over (no
 * cached address, or one that no longer answers), so the list goes straight to list.ts.
 */
export async function dispatch(opts: { quickListTried: boolean }): Promise<void> {
  await enableCompileCache();
  const args = process.argv.slice(2);
  let done = false;
  if (isListCommand(args)) {
    done =
      (!opts.quickListTried && (await (await import('./commands/list-quick.ts')).quickList(args))) ||
      (await (await import('./commands/list.ts')).fastList(args));
  }
  if (!done) await import('./start.ts');
}
