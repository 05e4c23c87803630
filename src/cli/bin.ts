// dist/cli.mjs: the CLI as an ES module, for `node dist/cli.mjs` and `import`. The installed
// fc-macos command is the CommonJS launcher (launcher.ts, dist/cli.cjs), which starts faster and
// then runs the same dispatch. `fc-macos --help` is printed from the text the build took from
// commander (fast-help.ts) and nothing else loads.
import { dispatch } from './dispatch.ts';
import { printCachedHelp } from './fast-help.ts';

if (!printCachedHelp(new URL('./cli-help.json', import.meta.url))) await dispatch({ quickListTried: false });
