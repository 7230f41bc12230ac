/**
 * One upstream call's time budget joined with the client's own cancellation: a single signal for
 * the HTTP client, and a way to tell afterwards which of the two ended the call.
 */
export interface CallBudget {
  readonly signal: AbortSignal;
  readonly timedOut: boolean;
  /** The answer has started: the deadline stops, the client's cancellation still reaches the body. */
  answered(): void;
  /** Nothing is left to cancel. */
  finished(): void;
}

export function callBudget(timeoutMs: number, cancelled?: AbortSignal): CallBudget {
  const controller = new AbortController();
  let timedOut = false;
  const onCancel = () => controller.abort(cancelled?.reason);
  if (cancelled?.aborted) onCancel();
  else cancelled?.addEventListener('abort', onCancel, { once: true });
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error(`no answer within ${timeoutMs} ms`));
  }, timeoutMs);
  return {
    signal: controller.signal,
    get timedOut() {
      return timedOut;
    },
    answered: () => clearTimeout(timer),
    finished: () => {
      clearTimeout(timer);
      cancelled?.removeEventListener('abort', onCancel);
    },
  };
}
