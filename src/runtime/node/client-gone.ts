import type { ServerResponse } from 'node:http';
import type { ClientGone } from '../../http/client-gone.js';

/**
 * The client's going away on Node: the connection closing before its answer was written. A listener
 * on the answer's own `close` event, removed with the call, so nothing outlives it.
 */
class ConnectionClosed implements ClientGone {
  #listeners: [EventListenerObject, () => void][] = [];

  constructor(private readonly outgoing: ServerResponse) {}

  get aborted(): boolean {
    return this.outgoing.destroyed && !this.outgoing.writableFinished;
  }

  addEventListener(_type: 'abort', listener: EventListenerObject): void {
    const onClose = () => {
      if (!this.outgoing.writableFinished) listener.handleEvent(new Event('abort'));
    };
    this.#listeners.push([listener, onClose]);
    this.outgoing.once('close', onClose);
  }

  removeEventListener(_type: 'abort', listener: EventListenerObject): void {
    const at = this.#listeners.findIndex(([l]) => l === listener);
    if (at < 0) return;
    const [[, onClose]] = this.#listeners.splice(at, 1) as [[EventListenerObject, () => void]];
    this.outgoing.removeListener('close', onClose);
  }
}

export const connectionClosed = (outgoing: ServerResponse): ClientGone => new ConnectionClosed(outgoing);
