// The Linux side itself: the host (Tart VM or this Linux machine), /dev/kvm and Node.js for the
// agent. Each step's inspect() is also doctor's check of that layer.
import { KvmError } from '../../host/errors.ts';
import type { CheckResult } from '../../host/provider.ts';
import type { SetupContext } from '../context.ts';
import { ProvisionError } from '../errors.ts';
import type { Step } from '../runner.ts';
import { errFix, errText } from './common.ts';

export const MIN_AGENT_NODE_MAJOR = 18;

export function hostStep(ctx: SetupContext): Step {
  const p = ctx.provider;
  const inspect = async (): Promise<CheckResult> => {
    try {
      return await p.inspectHost();
    } catch (err) {
      return { ok: false, detail: errText(err), fix: errFix(err, 'fc-macos setup') };
    }
  };
  return {
    id: 'host',
    title: p.text.hostStep,
    inspect,
    async check() {
      return (await inspect()).ok;
    },
    async run(progress) {
      progress(p.text.hostStarting);
      await p.ensureRunning();
    },
  };
}

export function kvmStep(ctx: SetupContext): Step {
  const p = ctx.provider;
  return {
    id: 'kvm',
    title: '/dev/kvm on the Linux side',
    inspect: () => p.checkKvm(),
    async check() {
      return (await p.checkKvm()).ok;
    },
    async run(progress) {
      await p.prepareKvm(progress);
      const kvm = await p.checkKvm();
      if (!kvm.ok) throw new KvmError(kvm.detail, kvm.fix);
    },
  };
}

function nodeMajor(version: string): number {
  return Number.parseInt(version.split('.')[0] ?? '', 10) || 0;
}

export function nodeStep(ctx: SetupContext): Step {
  const p = ctx.provider;
  const inspect = async (): Promise<CheckResult> => {
    const node = await p.findNode();
    if (!node) return { ok: false, detail: 'Node.js not found on the Linux side', fix: 'fc-macos setup' };
    if (nodeMajor(node.version) < MIN_AGENT_NODE_MAJOR)
      return {
        ok: false,
        detail: `Node.js ${node.version} at ${node.path} is older than ${MIN_AGENT_NODE_MAJOR}`,
        fix: 'fc-macos setup',
      };
    return { ok: true, detail: `Node.js ${node.version} at ${node.path}`, fix: '' };
  };
  return {
    id: 'node',
    title: `Node.js >= ${MIN_AGENT_NODE_MAJOR} for the agent`,
    inspect,
    async check() {
      return (await inspect()).ok;
    },
    async run(progress) {
      progress('sudo apt-get install -y nodejs');
      await p.installNode();
      const node = await p.findNode();
      if (!node || nodeMajor(node.version) < MIN_AGENT_NODE_MAJOR) {
        throw new ProvisionError(
          'node_missing',
          node
            ? `Node.js ${node.version} at ${node.path} is too old for fc-agent (needs ${MIN_AGENT_NODE_MAJOR}+)`
            : 'Node.js is still missing after apt-get install nodejs',
          'install Node.js 18 or later on the Linux side (e.g. from https://github.com/nodesource/distributions), then run `fc-macos setup` again',
        );
      }
    },
  };
}
