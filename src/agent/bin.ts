// fc-agent: the daemon on the Linux side that starts and manages firecracker processes.
import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { ConfigError } from '../config/errors.ts';
import { VERSION } from '../version.ts';
import { Authenticator, loadToken } from './auth.ts';
import { type AgentConfig, parseCli, resolveBinary, USAGE } from './config.ts';
import { SHUTDOWN_GRACE_MS, SHUTDOWN_IDLE_SWEEP_MS } from './constants.ts';
import { TokenFileError } from './errors.ts';
import { Logger } from './log.ts';
import { MicrovmManager } from './manager.ts';
import { uninstallNetwork } from './net/uninstall.ts';
import { createAgentServer } from './server.ts';
import { StatsCollector } from './stats.ts';

function fail(message: string, code: number): never {
  process.stderr.write(`fc-agent: ${message}\n`);
  process.exit(code);
}

async function run(config: AgentConfig): Promise<void> {
  const log = new Logger(config.logLevel);
  let token: string | null = null;
  if (config.tokenFile !== null) {
    try {
      token = loadToken(config.tokenFile);
    } catch (err) {
      if (err instanceof TokenFileError) fail(err.message, 2);
      throw err;
    }
  } else {
    log.warn(
      'authentication is off (--insecure-no-auth): anyone who can reach the loopback address has full control',
    );
  }

  try {
    await mkdir(config.stateDir, { recursive: true, mode: 0o700 });
  } catch (err) {
    fail(`cannot create state dir ${config.stateDir}: ${(err as NodeJS.ErrnoException).code ?? err}`, 1);
  }
  const manager = new MicrovmManager({ config, log });
  await manager.load();
  const stats = new StatsCollector({ stateDir: config.stateDir });
  const server = createAgentServer({ manager, config, log, stats, auth: new Authenticator(token) });

  process.on('unhandledRejection', (err) => log.error('unhandled rejection', { error: err }));
  process.on('uncaughtException', (err) => log.error('uncaught exception', { error: err }));

  await new Promise<void>((resolve) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const why =
        err.code === 'EADDRINUSE'
          ? 'the address is already in use (another fc-agent running?)'
          : err.code === 'EACCES'
            ? 'permission denied (ports below 1024 need root)'
            : (err.code ?? err.message);
      fail(`cannot listen on ${config.listen.host}:${config.listen.port}: ${why}`, 1);
    });
    server.listen(config.listen.port, config.listen.host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.address.includes(':') ? `[${addr.address}]` : addr.address;
  log.info('listening', {
    url: `http://${host}:${addr.port}`,
    version: VERSION,
    state_dir: config.stateDir,
    firecracker: resolveBinary(config.firecracker),
    microvms: manager.list().length,
    auth: token !== null,
  });

  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down', { signal, stop_vms: config.stopVmsOnExit });
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    // Ends console clients (CLOSE_AGENT_SHUTDOWN) and log follows; stops microVMs if asked to.
    await manager.shutdown(config.stopVmsOnExit);
    const idle = setInterval(() => server.closeIdleConnections(), SHUTDOWN_IDLE_SWEEP_MS);
    const timer = new Promise<void>((resolve) => setTimeout(resolve, SHUTDOWN_GRACE_MS).unref());
    await Promise.race([closed, timer]);
    clearInterval(idle);
    server.closeAllConnections();
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

let action: ReturnType<typeof parseCli>;
try {
  action = parseCli(process.argv.slice(2));
} catch (err) {
  if (err instanceof ConfigError) fail(err.message, 2);
  throw err;
}
if (action.kind === 'version') {
  process.stdout.write(`fc-agent ${VERSION}\n`);
} else if (action.kind === 'help') {
  process.stdout.write(USAGE);
} else if (action.kind === 'uninstall-network') {
  uninstallNetwork(action.config).then(
    (removed) => {
      for (const line of removed) process.stdout.write(`removed ${line}\n`);
    },
    (err: unknown) =>
      fail(`cannot remove the network: ${err instanceof Error ? err.message : String(err)}`, 1),
  );
} else {
  run(action.config).catch((err: unknown) =>
    fail(`failed to start: ${err instanceof Error ? err.message : String(err)}`, 1),
  );
}
