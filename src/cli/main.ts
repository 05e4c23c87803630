// The fc-macos program: commander with one module per command group (src/cli/commands/*).
// Exit codes: 0 ok, 1 failure, 2 usage error.
import { Command, CommanderError } from 'commander';
import { VERSION } from '../version.ts';
import { registerDoctor } from './commands/doctor.ts';
import { registerSetup } from './commands/setup.ts';
import { registerUninstall } from './commands/uninstall.ts';
import { registerVm } from './commands/vm.ts';

export type RegisterCommand = (program: Command) => void;

// Each module adds its commands to the program. Order here is the order in --help.
const commandModules: RegisterCommand[] = [registerSetup, registerDoctor, registerVm, registerUninstall];

export function buildProgram(): Command {
  const program = new Command('fc-macos')
    .description('Run Firecracker microVMs on a Mac (Tart) or a Linux host with KVM')
    .version(VERSION, '-V, --cli-version', 'print the CLI version')
    .option('--json', 'machine-readable output on stdout (shapes: docs/cli-json.md)')
    .option('--agent-url <url>', 'fc-agent base URL (env FC_MACOS_AGENT_URL)')
    .exitOverride()
    .showHelpAfterError(false);
  for (const register of commandModules) register(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0;
      return 2;
    }
    process.stderr.write(`fc-macos: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
