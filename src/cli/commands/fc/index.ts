// The Firecracker API command groups, one file each, in the order --help lists them.
import type { Command } from 'commander';
import { registerActions } from './actions.ts';
import { registerBalloon } from './balloon.ts';
import { registerBoot } from './boot.ts';
import { registerDrives } from './drives.ts';
import { registerMachine } from './machine.ts';
import { registerMetrics } from './metrics.ts';
import { registerNetwork } from './network.ts';
import { registerSnapshots } from './snapshots.ts';

export function registerFirecrackerApi(program: Command): void {
  registerBoot(program);
  registerDrives(program);
  registerNetwork(program);
  registerMachine(program);
  registerActions(program);
  registerSnapshots(program);
  registerMetrics(program);
  registerBalloon(program);
}
