// Build-time entry (scripts/build.mjs): prints commander's help cache for the program as JSON.
import { helpCacheFor } from './fast-help.ts';
import { buildProgram } from './main.ts';

process.stdout.write(JSON.stringify(helpCacheFor(buildProgram())));
