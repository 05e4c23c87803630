// One lifecycle operation at a time per microVM (start/stop/pause/resume/delete/passthrough
// writes): two of them interleaving would leave the registry disagreeing with firecracker.
export class Mutex {
  private tail: Promise<void> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}
