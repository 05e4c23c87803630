// Where things live on the Linux side (inside the Tart VM, or on the local Linux host). The agent's
// state dir holds everything setup installs, so uninstall is one `rm -rf` plus the service.
import { join } from 'node:path';

export const AGENT_SERVICE_NAME = 'fc-agent.service';
/** The agent's state dir when it runs as root (Tart VM, local root). */
export const ROOT_AGENT_DIR = '/var/lib/fc-agent';
export const SYSTEM_UNIT_DIR = '/etc/systemd/system';

export interface LinuxLayout {
  /** fc-agent's --state-dir. */
  agentDir: string;
  binDir: string;
  firecrackerBin: string;
  jailerBin: string;
  agentBundle: string;
  imagesDir: string;
  kernel: string;
  rootfs: string;
  /** The agent's token (0600). */
  tokenFile: string;
  /** Scratch space for downloads and rootfs builds; removed after each step. */
  tmpDir: string;
  /** Daemon mode (no systemd): pid file and log of the detached agent. */
  pidFile: string;
  logFile: string;
  /** systemd mode: the unit file. */
  unitFile: string;
}

export function linuxLayout(agentDir: string, unitDir: string = SYSTEM_UNIT_DIR): LinuxLayout {
  const binDir = join(agentDir, 'bin');
  const imagesDir = join(agentDir, 'images');
  return {
    agentDir,
    binDir,
    firecrackerBin: join(binDir, 'firecracker'),
    jailerBin: join(binDir, 'jailer'),
    agentBundle: join(binDir, 'fc-agent.mjs'),
    imagesDir,
    kernel: join(imagesDir, 'vmlinux'),
    rootfs: join(imagesDir, 'rootfs.ext4'),
    tokenFile: join(agentDir, 'token'),
    tmpDir: join(agentDir, 'tmp'),
    pidFile: join(agentDir, 'fc-agent.pid'),
    logFile: join(agentDir, 'fc-agent.log'),
    unitFile: join(unitDir, AGENT_SERVICE_NAME),
  };
}
