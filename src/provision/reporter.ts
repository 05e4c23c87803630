// How setup shows its steps: a spinner with live progress (bytes and rate for downloads) on a TTY,
// one line per step otherwise, nothing under --json (where the result is one JSON object at the end).
import type { DownloadProgress } from './download.ts';
import type { Reporter, Step, StepOutcome } from './runner.ts';

function size(n: number): string {
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * "downloading 12.3 MiB of 40.1 MiB, 5.2 MiB/s: vmlinux-6.1.155": the numbers first, so a narrow
 * terminal cuts the name, not them.
 */
export function downloadProgress(url: string, p: DownloadProgress): string {
  const name = url.slice(url.lastIndexOf('/') + 1);
  const of = p.total ? ` of ${size(p.total)}` : '';
  return `downloading ${size(p.bytes)}${of}, ${size(p.bytesPerSecond)}/s: ${name}`;
}

/** What a finished step says: "done", "ok" (was already in place), "already done", "FAILED: …". */
function outcomeText(o: StepOutcome): string {
  if (o.status === 'failed') return `FAILED: ${o.detail}`;
  if (o.status === 'skipped') return 'already done';
  return o.detail || 'done';
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export function silentReporter(): Reporter {
  return { start() {}, progress() {}, finish() {} };
}

/** Without a TTY: one line per step ("[4/7] Firecracker v1.14.4 ... done"), written as it ends. */
export function lineReporter(out: NodeJS.WritableStream = process.stderr): Reporter {
  return {
    start(step, i, total) {
      out.write(`[${i + 1}/${total}] ${step.title} ... `);
    },
    progress() {},
    finish(o) {
      out.write(`${outcomeText(o)}\n`);
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
      out.write(`\r\x1b[2K${mark} ${title}: ${outcomeText(o)}\n`);
    },
  };
}

export function pickReporter(json: boolean, stream: NodeJS.WriteStream = process.stderr): Reporter {
  if (json) return silentReporter();
  return stream.isTTY ? spinnerReporter(stream) : lineReporter(stream);
}
