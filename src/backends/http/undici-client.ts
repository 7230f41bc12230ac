import { type Dispatcher, Pool } from 'undici';
import type { CallStopped, Deadline } from './deadline.js';
import {
  joined,
  type UpstreamAnswer,
  type UpstreamClient,
  type UpstreamError,
  type UpstreamHeaders,
  type UpstreamRequest,
  upstreamFailure,
} from './upstream-client.js';

export interface UndiciClientOptions {
  /** Most connections kept to the upstream at once. */
  connections?: number;
  /** How long an idle connection stays open for reuse; keep it below the upstream's own keep-alive timeout. */
  keepAliveTimeoutMs?: number;
}

function parseRawHeaders(raw: Buffer[] | string[] | null): UpstreamHeaders {
  const headers: UpstreamHeaders = {};
  if (!raw) return headers;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = String(raw[i]).toLowerCase();
    // latin1: the bytes as received, which Node's server writes back unchanged.
    const item = raw[i + 1] as Buffer | string;
    const value = typeof item === 'string' ? item : item.toString('latin1');
    const seen = headers[name];
    if (seen === undefined) headers[name] = value;
    else if (Array.isArray(seen)) seen.push(value);
    else headers[name] = [seen, value];
  }
  return headers;
}

type Phase = 'waiting' | 'answered' | 'streaming' | 'over';

/**
 * One call through undici's dispatch API: no Readable, no web stream and no AbortController unless
 * the body is streamed. The deadline's stop hook is undici's own abort.
 */
class Call implements Dispatcher.DispatchHandler, UpstreamAnswer {
  status = 0;
  headers: UpstreamHeaders = {};
  #phase: Phase = 'waiting';
  #abort: ((err?: Error) => void) | undefined;
  #resume: (() => void) | undefined;
  #chunks: Uint8Array[] = [];
  #size = 0;
  #ended = false;
  #failure: CallStopped | UpstreamError | undefined;
  #answered!: { resolve: (answer: UpstreamAnswer) => void; reject: (err: Error) => void };
  #wanted: { limit: number; resolve: (body: Uint8Array | undefined) => void; reject: (err: Error) => void } | undefined;
  #stream: ReadableStreamDefaultController<Uint8Array> | undefined;
  #done: (() => void) | undefined;

  constructor(readonly deadline: Deadline) {}

  start(pool: Pool, request: UpstreamRequest): Promise<UpstreamAnswer> {
    const answered = new Promise<UpstreamAnswer>((resolve, reject) => {
      this.#answered = { resolve, reject };
    });
    this.deadline.onStop((reason) => {
      if (this.#abort) this.#abort(reason);
      // Still queued in the pool: answer now; undici aborts it once it would start.
      else this.onError(reason);
    });
    pool.dispatch(
      {
        method: request.method as Dispatcher.HttpMethod,
        path: request.path,
        headers: request.headers,
        body: request.body,
        headersTimeout: 0,
        bodyTimeout: 0,
      },
      this,
    );
    return answered;
  }

  onConnect(abort: (err?: Error) => void): void {
    if (this.#phase === 'over' || this.deadline.stopped) abort(this.deadline.stopped);
    else this.#abort = abort;
  }

  onHeaders(status: number, raw: Buffer[] | string[] | null, resume: () => void): boolean {
    if (this.#phase !== 'waiting') return false;
    this.status = status;
    this.headers = parseRawHeaders(raw);
    this.#resume = resume;
    this.#phase = 'answered';
    this.#answered.resolve(this);
    return true;
  }

  onData(chunk: Buffer): boolean {
    // llhttp re-announces a paused body with an empty chunk on resume: pausing on it would never progress.
    if (chunk.byteLength === 0) return true;
    if (this.#phase === 'streaming') {
      const stream = this.#stream as ReadableStreamDefaultController<Uint8Array>;
      stream.enqueue(chunk);
      return (stream.desiredSize ?? 0) > 0;
    }
    if (this.#phase !== 'answered') return false;
    this.#chunks.push(chunk);
    this.#size += chunk.byteLength;
    const wanted = this.#wanted;
    if (wanted && this.#size > wanted.limit) {
      this.#wanted = undefined;
      wanted.resolve(undefined);
      // Paused until the rest is streamed.
      return false;
    }
    return true;
  }

  onComplete(): void {
    this.#ended = true;
    if (this.#phase === 'streaming') {
      this.#stream?.close();
      this.#over();
      return;
    }
    const wanted = this.#wanted;
    if (wanted) {
      this.#wanted = undefined;
      this.#phase = 'over';
      wanted.resolve(joined(this.#chunks, this.#size));
    }
  }

  onError(err: Error): void {
    if (this.#phase === 'over') return;
    const failure = upstreamFailure(err, this.deadline, this.#phase !== 'waiting');
    this.#failure = failure;
    const phase = this.#phase;
    this.#over();
    if (phase === 'waiting') this.#answered.reject(failure);
    else if (phase === 'streaming') this.#stream?.error(failure);
    else if (this.#wanted) {
      this.#wanted.reject(failure);
      this.#wanted = undefined;
    }
  }

  whole(limit: number): Promise<Uint8Array | undefined> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#ended) {
      this.#phase = 'over';
      return Promise.resolve(joined(this.#chunks, this.#size));
    }
    if (this.#size > limit) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => {
      this.#wanted = { limit, resolve, reject };
    });
  }

  stream(done: () => void): ReadableStream<Uint8Array> {
    this.#done = done;
    const read = this.#chunks;
    this.#chunks = [];
    return new ReadableStream<Uint8Array>({
      start: (controller) => {
        for (const chunk of read) controller.enqueue(chunk);
        if (this.#failure) {
          controller.error(this.#failure);
          this.#over();
        } else if (this.#ended) {
          controller.close();
          this.#over();
        } else {
          this.#stream = controller;
          this.#phase = 'streaming';
        }
      },
      pull: () => this.#resume?.(),
      cancel: () => {
        this.#abort?.();
        this.#over();
      },
    });
  }

  discard(): void {
    if (!this.#ended) this.#abort?.();
    this.#over();
  }

  #over(): void {
    this.#phase = 'over';
    this.#chunks = [];
    this.#abort = undefined;
    const done = this.#done;
    this.#done = undefined;
    done?.();
  }
}

/**
 * Node only: a kept-alive undici Pool per upstream origin, the fastest forwarding measured here
 * (toolchain.md, "Forwarding speed"). The only file that imports undici.
 */
export function createUndiciClient(origin: string, options: UndiciClientOptions = {}): UpstreamClient {
  const pool = new Pool(origin, {
    connections: options.connections ?? 256,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 4_000,
    // The backend's own deadline decides when waiting is over, for the headers and the body alike.
    headersTimeout: 0,
    bodyTimeout: 0,
  });

  return {
    request: (request, deadline) => new Call(deadline).start(pool, request),
    close: () => pool.close(),
  };
}
