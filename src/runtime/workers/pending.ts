/** The part of a Worker's ExecutionContext the gateway uses. */
export interface WaitUntil {
  waitUntil(work: Promise<unknown>): void;
}

/**
 * Work that outlives the response (shadow reads, the flag cache's background refresh). workerd
 * cancels whatever a request left running once it ends, and a cached promise that never settles
 * would freeze the flags for the whole isolate; so every request that ends while such work runs
 * extends its own lifetime until the work settles. The isolate is shared by concurrent requests,
 * and the work may belong to any of them: each keeps all of it alive, which is harmless.
 */
export class PendingWork {
  private readonly running = new Set<Promise<void>>();

  readonly add = (work: Promise<unknown>): void => {
    const settled: Promise<void> = work.then(
      () => undefined,
      () => undefined,
    );
    this.running.add(settled);
    void settled.then(() => this.running.delete(settled));
  };

  keepAlive(ctx: WaitUntil): void {
    if (this.running.size > 0) ctx.waitUntil(Promise.all(this.running));
  }
}
