// How setup shows its steps: a spinner on a TTY, plain lines otherwise, nothing under --json
// (where the result is one JSON object at the end).
import type { Reporter, Step, StepOutcome } from './runner.ts';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export function silentReporter(): Reporter {
  return { start() {}, progress() {}, finish() {} };
}

export function lineReporter(out: NodeJS.WritableStream = process.stderr): Reporter {
  let prefix = '';
  return {
    start(step, i, total) {
      prefix = `[${i + 1}/${total}] ${step.title}`;
      out.write(`${prefix} ...\n`);
    },
    progress(message) {
      out.write(`${prefix}: ${message}\n`);
    },
    finish(o) {
      const what =
        o.status === 'skipped' ? 'already done' : o.status === 'done' ? 'done' : `FAILED: ${o.detail}`;
      out.write(`${prefix}: ${what}\n`);
    },
  };
}

export function spinnerReporter(out: NodeJS.WriteStream = process.stderr): Reporter {
  let timer: NodeJS.Timeout | undefined;
  let frame = 0;
  let title = '';
  let message = '';
  const draw = () => {
    const text = `${FRAMES[frame % FRAMES.length]} ${title}${message ? ` — ${message}` : ''}`;
    const width = out.columns ?? 100;
    out.write(`\r\x1b[2K${text.slice(0, width - 1)}`);
  };
  return {
    start(step: Step, i: number, total: number) {
      title = `[${i + 1}/${total}] ${step.title}`;
      message = '';
      frame = 0;
      draw();
      timer = setInterval(() => {
        frame++;
        draw();
      }, 100);
      timer.unref();
    },
    progress(m: string) {
      message = m;
      draw();
    },
    finish(o: StepOutcome) {
      if (timer) clearInterval(timer);
      const mark = o.status === 'failed' ? '✗' : '✓';
      const note = o.status === 'skipped' ? ' (already done)' : o.status === 'failed' ? `: ${o.detail}` : '';
      out.write(`\r\x1b[2K${mark} ${title}${note}\n`);
    },
  };
}

export function pickReporter(json: boolean, stream: NodeJS.WriteStream = process.stderr): Reporter {
  if (json) return silentReporter();
  return stream.isTTY ? spinnerReporter(stream) : lineReporter(stream);
}
