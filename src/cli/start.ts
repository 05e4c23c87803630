// Runs the CLI: exit codes and a reader that goes away (EPIPE) handled here, the rest in main.ts.
import { main } from './main.ts';

// `fc-macos ls | head -1`: a reader that goes away is not an error of ours.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

process.exitCode = await main(process.argv);
