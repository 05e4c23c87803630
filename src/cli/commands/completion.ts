// fc-macos completion bash|zsh|fish: prints the script for that shell.
import { Argument, type Command } from 'commander';
import { bashCompletion, fishCompletion, zshCompletion } from '../completion.ts';
import { action } from '../context.ts';

export function registerCompletion(program: Command): void {
  program
    .command('completion')
    .description('print a shell completion script (bash: source <(fc-macos completion bash))')
    .addArgument(new Argument('<shell>', 'the shell').choices(['bash', 'zsh', 'fish']))
    .action(
      action(async (ctx) => {
        const shell = ctx.args[0] as 'bash' | 'zsh' | 'fish';
        const script =
          shell === 'bash'
            ? bashCompletion(program)
            : shell === 'zsh'
              ? zshCompletion(program)
              : fishCompletion(program);
        if (ctx.json) ctx.out.data({ shell, script });
        else process.stdout.write(script);
        return 0;
      }),
    );
}
