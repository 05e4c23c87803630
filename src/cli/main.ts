// The fc-macos program: commander with one module per command group (src/cli/commands/*).
// Exit codes: 0 ok, 1 failure, 2 usage error.
import { Command, CommanderError } from 'commander';
import { VERSION } from '../version.ts';
import { registerCompletion } from './commands/completion.ts';
import { registerCp } from './commands/cp.ts';
import { registerDashboard } from './commands/dashboard.ts';
import { registerDoctor } from './commands/doctor.ts';
import { registerExec } from './commands/exec.ts';
import { registerFirecrackerApi } from './commands/fc/index.ts';
import { registerMicrovm } from './commands/microvm.ts';
import { registerPortForward } from './commands/port-forward.ts';
import { registerSetup } from './commands/setup.ts';
import { registerUninstall } from './commands/uninstall.ts';
import { registerVersion } from './commands/version.ts';
import { registerVm } from './commands/vm.ts';
import { EXIT_USAGE } from './errors.ts';
import { loadFlagChecks, needsFlagChecks } from './flag-parsers.ts';
import { terminalSafe } from './format.ts';

export type RegisterCommand = (program: Command) => void;

// Each module adds its commands to the program. Order here is the order in --help.
// To add a module: write `export function registerX(program: Command): void` in
// src/cli/commands/x.ts and append it here.
const commandModules: RegisterCommand[] = [
  registerMicrovm,
  registerExec,
  registerCp,
  registerFirecrackerApi,
  registerSetup,
  registerDoctor,
  registerVm,
  registerDashboard,
  registerPortForward,
  registerUninstall,
  registerVersion,
  registerCompletion,
];

export function buildProgram(): Command {
  const program = new Command('fc-macos')
    .description('Run Firecracker microVMs on a Mac (Tart) or a Linux host with KVM')
    .version(
      VERSION,
      '-v, --version',
      'print the CLI version (`fc-macos version` adds the agent and Firecracker)',
    )
    .option('--json', 'machine-readable output on stdout (shapes: docs/cli-json.md)')
    .option('--agent-url <url>', 'fc-agent base URL (env FC_MACOS_AGENT_URL)')
    // Every subcommand's -h lists the global options (--json, --agent-url) too.
    .configureHelp({ showGlobalOptions: true })
    .exitOverride()
    .showHelpAfterError(false)
    // Commander's usage errors read like ours ("fc-macos: …"); set before the commands are added
    // so every subcommand inherits it.
    .configureOutput({
      outputError: (text, write) => write(terminalSafe(text.replace(/^error: /, 'fc-macos: '))),
    });
  for (const register of commandModules) register(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  // Commander reports its own usage errors before our actions run; in --json mode they also
  // become the JSON error object on stdout, like every other failure.
  const json = argv.slice(2).includes('--json');
  try {
    // Before parsing: the flag parsers that check with zod run during it (flag-parsers.ts).
    if (needsFlagChecks(argv.slice(2))) await loadFlagChecks();
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0;
      if (json) {
        const message = err.message.replace(/^error: /, '');
        process.stdout.write(`${JSON.stringify({ error: { code: 'usage', message } }, null, 2)}\n`);
      }
      return EXIT_USAGE;
    }
    const { describeError } = await import('./describe-error.ts');
    const report = describeError(err);
    process.stderr.write(`fc-macos: ${terminalSafe(report.message)}\n`);
    if (json)
      process.stdout.write(
        `${JSON.stringify({ error: { code: report.code, message: report.message } }, null, 2)}\n`,
      );
    return report.exitCode;
  }
}
