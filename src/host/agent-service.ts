// How fc-agent is run on the Linux side: its argv (flags documented in docs/agent-api.md), the
// systemd unit that keeps it up, and the systemctl calls that manage it.
import { ExecError } from './errors.ts';
import { AGENT_SERVICE_NAME, type LinuxLayout } from './layout.ts';
import { type ExecFn, writeRemoteFile } from './remote-files.ts';

export interface AgentServiceSpec {
  /** Absolute path of node on the Linux side. */
  node: string;
  /** host:port the agent listens on. */
  listen: string;
  layout: LinuxLayout;
}

export function agentArgv(spec: AgentServiceSpec): string[] {
  const l = spec.layout;
  return [
    spec.node,
    l.agentBundle,
    '--listen',
    spec.listen,
    '--token-file',
    l.tokenFile,
    '--state-dir',
    l.agentDir,
    '--firecracker',
    l.firecrackerBin,
    '--kernel',
    l.kernel,
    '--rootfs',
    l.rootfs,
  ];
}

/** One ExecStart word, quoted for systemd: specifiers (%) and variables ($) escaped. */
export function systemdQuote(word: string): string {
  const escaped = word
    .replaceAll('\\', '\\\\')
    .replaceAll('"', '\\"')
    .replaceAll('%', '%%')
    .replaceAll('$', '$$$$');
  return /^[A-Za-z0-9_./:=@+-]+$/.test(word) ? escaped : `"${escaped}"`;
}

export function agentUnitText(spec: AgentServiceSpec): string {
  return `# Written by fc-macos setup; removed by fc-macos uninstall.
[Unit]
Description=fc-agent: Firecracker microVMs for fc-macos
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
ExecStart=${agentArgv(spec).map(systemdQuote).join(' ')}
Restart=always
RestartSec=1
# Only the agent is stopped on restart: its firecracker children (the microVMs) keep running and
# the agent adopts them again when it comes back.
KillMode=process

[Install]
WantedBy=multi-user.target
`;
}

/** systemd operations through a provider's exec, as root. */
export class SystemdAgent {
  constructor(
    private readonly exec: ExecFn,
    private readonly layout: LinuxLayout,
  ) {}

  private async systemctl(args: string[], allowFail = false): Promise<{ exitCode: number; stdout: string }> {
    const argv = ['systemctl', ...args];
    const res = await this.exec(argv, { root: true, timeoutMs: 120_000 });
    if (res.exitCode !== 0 && !allowFail) throw new ExecError(argv, res.exitCode, res.stderr);
    return res;
  }

  /** Writes the unit and (re)starts the agent. */
  async install(spec: AgentServiceSpec): Promise<void> {
    await writeRemoteFile(this.exec, this.layout.unitFile, agentUnitText(spec), { mode: 0o644, root: true });
    await this.systemctl(['daemon-reload']);
    await this.systemctl(['enable', AGENT_SERVICE_NAME]);
    await this.systemctl(['restart', AGENT_SERVICE_NAME]);
  }

  async installed(): Promise<boolean> {
    const res = await this.exec(['test', '-f', this.layout.unitFile], { root: true });
    return res.exitCode === 0;
  }

  async active(): Promise<boolean> {
    return (await this.systemctl(['is-active', '--quiet', AGENT_SERVICE_NAME], true)).exitCode === 0;
  }

  async start(): Promise<void> {
    await this.systemctl(['start', AGENT_SERVICE_NAME]);
  }

  async stop(): Promise<void> {
    await this.systemctl(['stop', AGENT_SERVICE_NAME], true);
  }

  async remove(): Promise<void> {
    await this.systemctl(['disable', '--now', AGENT_SERVICE_NAME], true);
    await this.exec(['rm', '-f', this.layout.unitFile], { root: true });
    await this.systemctl(['daemon-reload'], true);
  }

  async logs(lines: number): Promise<string> {
    const res = await this.exec(
      ['journalctl', '-u', AGENT_SERVICE_NAME, '-n', String(lines), '--no-pager', '-o', 'cat'],
      { root: true },
    );
    return res.stdout || res.stderr;
  }
}
