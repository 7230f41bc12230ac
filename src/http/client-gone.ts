/**
 * The client's going away while its request is served, as the runtime reports it. An AbortSignal is
 * one (Workers, tests). On Node the adapter reports its connection's close instead
 * (src/runtime/node/client-gone.ts): reading `Request.signal` there makes an AbortController per
 * request, which with its listener cost about 3 % of a forwarded GET's CPU.
 */
export interface ClientGone {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: EventListenerObject): void;
  removeEventListener(type: 'abort', listener: EventListenerObject): void;
}
