// The setup steps, in order. Each step's check() looks at the real state of the Linux side (and
// the recorded sha256 of what it installed), so a done step is a no-op on the next run; its
// inspect() is what doctor reports for that layer: one implementation for both.
import type { SetupContext } from '../context.ts';
import type { Step } from '../runner.ts';
import { agentStep } from './agent.ts';
import { firecrackerStep } from './firecracker.ts';
import { kernelStep, rootfsStep } from './images.ts';
import { hostStep, kvmStep, nodeStep } from './system.ts';

export { inspectAgent, inspectToken, waitForAgent } from './agent.ts';
export { MIN_AGENT_NODE_MAJOR } from './system.ts';

export function setupSteps(ctx: SetupContext): Step[] {
  return [hostStep, kvmStep, nodeStep, firecrackerStep, kernelStep, rootfsStep, agentStep].map((f) => f(ctx));
}
