import type { ClientGone } from '../../http/client-gone.js';

/** Why an upstream call was stopped from outside: its time ran out, or the client went away. */
export class CallStopped extends Error {
  override name = 'CallStopped';
  constructor(readonly cause_: 'deadline' | 'client') {
    super(cause_ === 'deadline' ? 'the upstream call ran out of time' : 'the client closed the request');
  }
}

/**
 * One upstream call's single deadline, covering the whole answer (headers and body), joined with the
 * client's cancellation. Whatever is in flight registers one `stop` hook (the HTTP client's own abort,
 * e.g. undici's): no AbortController, and no listener outlives the call, so nothing of a finished call
 * stays reachable from a timer or the client's signal.
 */
export class Deadline {
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stop: ((reason: CallStopped) => void) | undefined;
  #client: ClientGone | undefined;
  #stopped: CallStopped | undefined;

  constructor(
    readonly ms: number,
    client?: ClientGone,
  ) {
    if (client?.aborted) {
      this.#stopped = new CallStopped('client');
      return;
    }
    this.#timer = setTimeout(() => this.#fire('deadline'), ms);
    if (client) {
      this.#client = client;
      client.addEventListener('abort', this);
    }
  }

  /** Why the call was stopped, once it was. */
  get stopped(): CallStopped | undefined {
    return this.#stopped;
  }

  get expired(): boolean {
    return this.#stopped?.cause_ === 'deadline';
  }

  /** What to call when time is up or the client leaves; replaces the previous hook. Called at once if already stopped. */
  onStop(stop: (reason: CallStopped) => void): void {
    if (this.#stopped) stop(this.#stopped);
    else this.#stop = stop;
  }

  /** The client's signal fired (EventListener object: no closure per call). */
  handleEvent(): void {
    this.#fire('client');
  }

  /** The call is over, answered or failed: the timer and the client's listener go. */
  finish(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#stop = undefined;
    this.#client?.removeEventListener('abort', this);
    this.#client = undefined;
  }

  #fire(why: 'deadline' | 'client'): void {
    if (this.#stopped) return;
    this.#stopped = new CallStopped(why);
    const stop = this.#stop;
    this.finish();
    stop?.(this.#stopped);
  }
}
