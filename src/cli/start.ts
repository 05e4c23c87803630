// Runs the CLI: exit codes and a reader that goes away (EPIPE) handled here, the rest in main.ts.
import { main } from './main.ts';
import { exitQuietlyOnEpipe } from './stdio.ts';

exitQuietlyOnEpipe();
process.exitCode = await main(process.argv);
