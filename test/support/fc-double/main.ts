// fc-double: a stand-in for the firecracker binary in tests. Started exactly like firecracker
// (`--api-sock PATH --id ID --level L [--log-path P]`); answers its API byte for byte and plays a
// guest console. See test/fidelity for the cases that hold it to the real binary.
import { writeSync } from 'node:fs';
import { handle } from './api.ts';
import { ArgError, idProblem, parseArgs } from './args.ts';
import { GuestConsole } from './console.ts';
import { openAppendTarget } from './files.ts';
import { serve, whenIdle } from './http.ts';
import { logger, parseLevel } from './logger.ts';
import { checkSpec, SpecMismatchError } from './spec-check.ts';
import { Vmm } from './vmm.ts';

function stderr(line: string): void {
  try {
    writeSync(2, `${line}\n`);
  } catch {
    // stderr closed: nothing else to tell.
  }
}

function exitWithError(code: number, debug: string): never {
  logger.error('main', `Firecracker exiting with error. exit_code=${code}`);
  stderr(`Error: ${debug}`);
  process.exit(code);
}

function main(): void {
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    if (!(e instanceof ArgError)) throw e;
    logger.error('main', `Arguments parsing error: ${e.text} \\n\\nFor more information try --help.`);
    exitWithError(153, `ParseArguments(${e.debug})`);
  }
  if (args.has('version')) {
    writeSync(1, 'Firecracker v1.14.4\n\n');
    logger.info('main', 'Firecracker exiting successfully. exit_code=0');
    process.exit(0);
  }
  const id = typeof args.get('id') === 'string' ? String(args.get('id')) : 'anonymous-instance';
  const problem = idProblem(id);
  if (problem) {
    // Firecracker panics here (panic=abort): the process dies of SIGABRT.
    logger.error(
      'main',
      `Firecracker panicked at src/firecracker/src/main.rs:296:48:\nInvalid instance ID: ${problem}`,
    );
    process.kill(process.pid, 'SIGABRT');
    return;
  }
  logger.id = id;
  const levelArg = args.get('level');
  if (typeof levelArg === 'string') {
    const level = parseLevel(levelArg);
    if (!level) {
      logger.error(
        'main',
        `Invalid value for logger level: Failed to parse string to level filter: ${levelArg}.Possible values: [Error, Warning, Info, Debug]`,
      );
      exitWithError(152, `InvalidLogLevel(LevelFilterFromStrError(${JSON.stringify(levelArg)}))`);
    }
    logger.level = level;
  }
  if (args.has('show-level')) logger.showLevel = true;
  if (args.has('show-log-origin')) logger.showOrigin = true;
  const logPath = args.get('log-path');
  if (typeof logPath === 'string') {
    try {
      logger.setFd(openAppendTarget(logPath));
    } catch (e) {
      logger.error('main', `Failed to initialize logger: ${(e as Error).message}`);
      exitWithError(1, 'LoggerInitialization');
    }
  }
  for (const unsupported of ['config-file', 'no-api', 'describe-snapshot', 'metrics-path']) {
    if (args.has(unsupported)) {
      logger.error('main', `fc-double does not model --${unsupported}`);
      exitWithError(1, `FcDoubleUnsupported(${JSON.stringify(unsupported)})`);
    }
  }
  try {
    checkSpec(process.env.FC_DOUBLE_SPEC);
  } catch (e) {
    if (!(e instanceof SpecMismatchError)) throw e;
    logger.error('main', e.message);
    exitWithError(1, 'FcDoubleSpec');
  }
  logger.info('main', 'Running Firecracker v1.14.4');

  const socketPath = String(args.get('api-sock') ?? '/run/firecracker.socket');
  let pendingExit: { code: number; lines: string[]; stderr: string } | undefined;
  const exitNow = (code: number): never => {
    if (code === 0) logger.info('main', 'Firecracker exiting successfully. exit_code=0');
    else logger.error('main', `Firecracker exiting with error. exit_code=${code}`);
    process.exit(code);
  };
  const console = new GuestConsole(id, {
    guestReset: () => {
      void whenIdle().then(() => {
        logger.info('main', 'Vmm is stopping.');
        exitNow(0);
      });
    },
  });
  const vmm = new Vmm(id, console, {
    exitAfterResponse: (code, lines, err) => {
      pendingExit = { code, lines, stderr: err };
    },
  });
  const server = serve(async (req) => {
    const res = await handle(vmm, req);
    if (pendingExit) {
      const exit = pendingExit;
      // The answer goes out first, then the process ends like Firecracker after a failed load. The
      // server is not closed: that would unlink the socket file, and Firecracker leaves it behind
      // (a client's next request is refused, it does not find the socket missing).
      setTimeout(() => {
        for (const l of exit.lines) logger.error('main', l);
        stderr(exit.stderr);
        exitNow(exit.code);
      }, 20);
    }
    return res;
  });
  server.on('error', () => {
    logger.error(
      'main',
      `RunWithApiError error: Failed to open the API socket at: ${socketPath}. Check that it is not already used.`,
    );
    exitWithError(1, `RunWithApi(FailedToBindSocket(${JSON.stringify(socketPath)}))`);
  });
  server.listen(socketPath, () => {
    logger.info('main', `Listening on API socket (${JSON.stringify(socketPath)}).`);
    logger.info('fc_api', 'API server started.');
  });
}

main();
