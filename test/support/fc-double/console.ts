// The guest's serial console, played without a guest: kernel-like boot lines, then a busybox-like
// shell on stdin/stdout with tty-style echo. Output is held while the VM is paused.
import { openSync, writeSync } from 'node:fs';
import type { VmResources } from './state.ts';

export interface ConsoleHooks {
  /** The guest rebooted with reboot=k: Firecracker stops the VMM with exit code 0. */
  guestReset(): void;
}

export class GuestConsole {
  readCount = 0;
  writeCount = 0;
  private outFd = 1;
  private booted = false;
  private paused = false;
  private halted = false;
  private resetPending = false;
  private held: string[] = [];
  private pendingInput: Buffer[] = [];
  private line = '';
  private resources: VmResources | undefined;

  constructor(
    private readonly id: string,
    private readonly hooks: ConsoleHooks,
  ) {}

  setOutputPath(path: string): void {
    this.outFd = openSync(path, 'a');
  }

  private write(text: string): void {
    if (this.paused) {
      this.held.push(text);
      return;
    }
    this.writeCount += Buffer.byteLength(text);
    try {
      writeSync(this.outFd, text);
    } catch {
      // Nobody is reading the console: a real UART drops the bytes.
    }
  }

  private get bootArgs(): string {
    return (
      this.resources?.bootSource.boot_args ??
      'reboot=k panic=1 nomodule 8250.nr_uarts=0 i8042.noaux i8042.nomux i8042.dumbkbd swiotlb=noforce'
    );
  }

  private get rebootK(): boolean {
    return this.bootArgs.split(/\s+/).includes('reboot=k');
  }

  boot(resources: VmResources, opts: { restored?: boolean } = {}): void {
    this.resources = resources;
    this.booted = true;
    if (!opts.restored) {
      const mem = resources.machine.mem_size_mib * 1024;
      const lines = [
        'Linux version 6.1.0-fc-double (fc-double@localhost) (gcc) #1 SMP PREEMPT_DYNAMIC',
        `Command line: ${this.bootArgs}`,
        `Memory: ${mem - 24576}K/${mem}K available`,
        `smpboot: Allowing ${resources.machine.vcpu_count} CPUs, 0 hotplug CPUs`,
        'Serial: 8250/16550 driver, 1 ports, IRQ sharing disabled',
        'Freeing unused kernel image (initmem) memory: 1024K',
        'Run /init as init process',
      ];
      lines.forEach((l, i) => {
        const t = (i * 0.061).toFixed(6).padStart(12, ' ');
        this.write(`[${t}] ${l}\r\n`);
      });
      this.write('\r\n/ # ');
    }
    process.stdin.on('data', (d: Buffer) => this.input(d));
    process.stdin.on('error', () => undefined);
    if (process.stdin.isTTY) process.stdin.setRawMode(true);
    process.stdin.resume();
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    const held = this.held.join('');
    this.held = [];
    if (held) this.write(held);
    const pending = this.pendingInput;
    this.pendingInput = [];
    for (const p of pending) this.input(p);
    if (this.resetPending) setTimeout(() => this.hooks.guestReset(), 50);
  }

  ctrlAltDel(): void {
    if (!this.booted || this.halted) return;
    this.write('\r\nThe system is going down NOW!\r\nSent SIGTERM to all processes\r\n');
    this.shutdown('Restarting system');
  }

  private shutdown(how: string): void {
    this.halted = true;
    this.write(`[    9.000000] reboot: ${how}\r\n`);
    if (!this.rebootK) return;
    if (this.paused) this.resetPending = true;
    // The guest resets a moment later: the API answer that triggered it goes out first.
    else setTimeout(() => this.hooks.guestReset(), 50);
  }

  private input(d: Buffer): void {
    if (!this.booted || this.halted) return;
    if (this.paused) {
      this.pendingInput.push(d);
      return;
    }
    this.readCount += d.length;
    for (const ch of d.toString('utf8')) {
      if (this.halted) return;
      if (ch === '\r' || ch === '\n') {
        this.write('\r\n');
        const cmd = this.line;
        this.line = '';
        this.run(cmd.trim());
      } else if (ch === '\x7f' || ch === '\b') {
        if (this.line.length > 0) {
          this.line = this.line.slice(0, -1);
          this.write('\b \b');
        }
      } else if (ch === '\x03') {
        this.line = '';
        this.write('^C\r\n/ # ');
      } else {
        this.line += ch;
        this.write(ch);
      }
    }
  }

  private run(cmd: string): void {
    const r = this.resources;
    const [name = '', ...rest] = cmd.split(/\s+/);
    const out = (s: string) => this.write(`${s}\r\n`);
    switch (name) {
      case '':
        break;
      case 'echo':
        out(rest.join(' '));
        break;
      case 'hostname': {
        const arg = this.bootArgs.split(/\s+/).find((a) => a.startsWith('fc_hostname='));
        out(arg ? arg.slice('fc_hostname='.length) : this.id);
        break;
      }
      case 'cat':
        if (rest[0] === '/proc/cmdline') out(this.bootArgs);
        else out(`cat: can't open '${rest[0] ?? ''}': No such file or directory`);
        break;
      case 'nproc':
        out(String(r?.machine.vcpu_count ?? 1));
        break;
      case 'free': {
        const total = r?.machine.mem_size_mib ?? 128;
        const used = Math.min(total, 12);
        out('              total        used        free      shared  buff/cache   available');
        out(
          `Mem:${String(total).padStart(15)}${String(used).padStart(12)}${String(total - used).padStart(12)}${'0'.padStart(12)}${'0'.padStart(12)}${String(total - used).padStart(12)}`,
        );
        out(`Swap:${'0'.padStart(14)}${'0'.padStart(12)}${'0'.padStart(12)}`);
        break;
      }
      case 'reboot':
        this.shutdown('Restarting system');
        return;
      case 'poweroff':
      case 'halt':
        this.shutdown(this.rebootK ? 'Restarting system' : 'System halted');
        return;
      default:
        out(`sh: ${name}: not found`);
    }
    this.write('/ # ');
  }
}
