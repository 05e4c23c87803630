// A terminal keyboard double for Ink (its useInput wants a TTY stdin with raw mode): records the raw
// mode changes, and `type` sends keys the way a terminal does. Used by the dashboard tests and bench.
import { EventEmitter } from 'node:events';

export class FakeKeyboard extends EventEmitter {
  isTTY = true;
  raw: boolean[] = [];
  private queue: string[] = [];
  setRawMode(on: boolean): this {
    this.raw.push(on);
    return this;
  }
  setEncoding(): this {
    return this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
  resume(): this {
    return this;
  }
  pause(): this {
    return this;
  }
  read(): string | null {
    return this.queue.shift() ?? null;
  }
  type(keys: string): void {
    this.queue.push(keys);
    this.emit('readable');
  }
}
