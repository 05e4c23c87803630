// Runs ordered, idempotent steps. A step whose check() says it is done is skipped, so a re-run
// after a failure resumes at the failed step; every finished step is recorded in setup-state.json.
import type { CheckResult } from '../host/provider.ts';
import { StepFailedError } from './errors.ts';
import type { StepId } from './state.ts';

export type Progress = (message: string) => void;

export interface Step {
  id: StepId;
  title: string;
  /** What this step makes, as it is now: doctor prints it (one implementation for both). */
  inspect(): Promise<CheckResult>;
  /** true: already done (inspect() is ok and it is what this setup asks for); run() is not needed. */
  check(): Promise<boolean>;
  run(progress: Progress): Promise<void>;
  /** With --force, steps that rebuild their output skip the check. */
  forceable?: boolean;
}

export type StepStatus = 'done' | 'skipped' | 'failed' | 'pending';

export interface StepOutcome {
  id: StepId;
  title: string;
  status: StepStatus;
  detail: string;
}

export interface Reporter {
  start(step: Step, index: number, total: number): void;
  progress(message: string): void;
  finish(outcome: StepOutcome): void;
}

export interface RunStepsOptions {
  reporter: Reporter;
  force?: boolean;
  /**
   * Whether an earlier setup did this step. A step found in place that no setup did (KVM, Node
   * already there) reports "done" ("in place"), not "already done".
   */
  doneBefore?(id: StepId): boolean;
  /** Called after each step with its outcome (setup records it in the state file). */
  record?(outcome: StepOutcome, error?: unknown): Promise<void>;
}

export { StepFailedError } from './errors.ts';

export async function runSteps(steps: Step[], opts: RunStepsOptions): Promise<StepOutcome[]> {
  const outcomes: StepOutcome[] = steps.map((s) => ({
    id: s.id,
    title: s.title,
    status: 'pending',
    detail: '',
  }));
  for (const [i, step] of steps.entries()) {
    opts.reporter.start(step, i, steps.length);
    let outcome: StepOutcome;
    try {
      const done = opts.force && step.forceable ? false : await step.check();
      if (done && (opts.doneBefore?.(step.id) ?? true)) {
        outcome = { id: step.id, title: step.title, status: 'skipped', detail: 'already done' };
      } else if (done) {
        outcome = { id: step.id, title: step.title, status: 'done', detail: 'in place' };
      } else {
        await step.run((m) => opts.reporter.progress(m));
        outcome = { id: step.id, title: step.title, status: 'done', detail: '' };
      }
    } catch (err) {
      outcome = {
        id: step.id,
        title: step.title,
        status: 'failed',
        detail: err instanceof Error ? err.message : String(err),
      };
      outcomes[i] = outcome;
      opts.reporter.finish(outcome);
      await opts.record?.(outcome, err);
      throw new StepFailedError(step.id, err, outcomes);
    }
    outcomes[i] = outcome;
    opts.reporter.finish(outcome);
    await opts.record?.(outcome);
  }
  return outcomes;
}
