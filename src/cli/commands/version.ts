// fc-macos version: the CLI's, the agent's and Firecracker's versions. With the agent down it
// still prints the CLI version, then the one-sentence error, and exits 1.
import type { Command } from 'commander';
import type { VersionResponse } from '../../api/schemas.ts';
import { VERSION } from '../../version.ts';
import { action } from '../context.ts';
import type { ErrorReport } from '../describe-error.ts';
import { keyValues } from '../format.ts';

export function registerVersion(program: Command): void {
  program
    .command('version')
    .description('versions of the CLI, the agent and Firecracker')
    .action(
      action(async (ctx) => {
        let agent: VersionResponse | null = null;
        let failure: ErrorReport | null = null;
        try {
          agent = await (await ctx.client()).version();
        } catch (err) {
          failure = (await import('../describe-error.ts')).describeError(err);
        }
        if (ctx.json) {
          ctx.out.data({
            cli: VERSION,
            agent: agent?.agent ?? null,
            firecracker: agent?.firecracker ?? null,
            arch: agent?.arch ?? null,
            kvm: agent?.kvm ?? null,
            ...(failure ? { error: { code: failure.code, message: failure.message } } : {}),
          });
        } else {
          const pairs: Array<[string, string]> = [['CLI', VERSION]];
          if (agent) {
            pairs.push(
              ['Agent', agent.agent],
              [
                'Firecracker',
                agent.firecracker ?? `unknown (${agent.firecracker_path} did not answer --version)`,
              ],
              ['Arch', agent.arch],
              ['KVM', `${agent.kvm.usable ? 'usable' : 'NOT usable'} (${agent.kvm.detail})`],
            );
          }
          ctx.out.line(keyValues(pairs));
        }
        if (failure) {
          ctx.out.note(`fc-macos: ${failure.message}`);
          return 1;
        }
        return 0;
      }),
    );
}
