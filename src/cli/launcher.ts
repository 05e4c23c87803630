// The fc-macos command (dist/cli.cjs, the package's bin), built as CommonJS: on Node 20 an ES
// module entry costs about 10 ms before its first line runs (the ESM loader starting), and the
// two commands run most take none of it. `--help` is printed from the text the build took from
// commander (fast-help.ts); `ls` and its other spellings run from their own one-file CommonJS
// bundle (commands/list-quick.ts, built as dist/cli-ls.cjs) when the agent's address is known.
// Everything else, and a list whose address the provider must give, goes on in the ESM CLI
// (dispatch.ts, dist/cli-dispatch.mjs).
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { enableCompileCache } from './compile-cache.ts';
import { printCachedHelp } from './fast-help.ts';
import { isListCommand } from './list-words.ts';

type QuickList = typeof import('./commands/list-quick.ts');
type Dispatch = typeof import('./dispatch.ts');

async function run(): Promise<void> {
  await enableCompileCache();
  const args = process.argv.slice(2);
  const list = isListCommand(args);
  // A real require of the file beside this one: the build leaves both names alone.
  if (list && (await (require(join(__dirname, 'cli-ls.cjs')) as QuickList).quickList(args))) return;
  const entry = pathToFileURL(join(__dirname, 'cli-dispatch.mjs')).href;
  const { dispatch } = (await import(entry)) as Dispatch;
  await dispatch({ quickListTried: list });
}

if (!printCachedHelp(join(__dirname, 'cli-help.json'))) {
  run().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
