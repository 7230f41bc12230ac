import type { Context } from 'hono';
import { attached } from './attached.js';

/**
 * Answers whose head the gateway keeps as plain data beside the Response: its status, its body and its
 * headers as a record of lower-case names. Reading or changing `Response.headers` makes a Web
 * `Headers` (and, on @hono/node-server, turns its lightweight Response into a full one); measured on
 * a forwarded GET, that was about 7 % of the gateway's CPU. An answer made here is read
 * (`answerHeader`) and marked (`withAnswerHeaders`) without ever asking the Response, and the Node
 * adapter writes its record as it is. Any other Response still works: it is asked the Web way.
 */

/** An upstream's JSON answer as the HTTP backend read it whole: what later checks use instead of reading it again. */
export interface ReadAnswer {
  text: string;
  json: unknown;
}

/** Marks a body that is not JSON although it was read as such. */
export const NOT_JSON: unique symbol = Symbol('not JSON');

type AnswerBody = string | Uint8Array<ArrayBuffer> | ReadableStream<Uint8Array> | null;

interface Head {
  status: number;
  body: AnswerBody;
  headers: Record<string, string>;
  read: ReadAnswer | undefined;
}

// On the Response itself, so the head goes when its answer does.
const heads = attached<Response, Head>('answer head');

/** A Response whose head stays known: `headers` has lower-case names, and a name appears once. */
export function answerOf(
  body: AnswerBody,
  status: number,
  headers: Record<string, string>,
  read?: ReadAnswer,
): Response {
  const response = new Response(body, { status, headers });
  heads.set(response, { status, body, headers, read });
  return response;
}

/** A JSON answer, `Response.json` with a known head. */
export function jsonAnswer(value: unknown, status = 200, headers?: Record<string, string>): Response {
  return answerOf(
    JSON.stringify(value),
    status,
    Object.assign({ 'content-type': 'application/json' }, lowerCased(headers)),
  );
}

function lowerCased(headers: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!headers) return undefined;
  const out: Record<string, string> = {};
  for (const name in headers) out[name.toLowerCase()] = headers[name] as string;
  return out;
}

/**
 * A second answer with the same head and body, each read on its own (for a shadow read). A body held
 * whole is given again; a stream is teed (`Response.clone`), after which the first answer is marked
 * the Web way (its body is one branch of the tee now).
 */
export function copyAnswer(response: Response): Response {
  const head = heads.get(response);
  if (head && !(head.body instanceof ReadableStream)) return answerOf(head.body, head.status, head.headers, head.read);
  heads.delete(response);
  return response.clone();
}

/** One header of an answer (`name` in lower case), or null. */
export function answerHeader(response: Response, name: string): string | null {
  const head = heads.get(response);
  return head ? (head.headers[name] ?? null) : response.headers.get(name);
}

/**
 * The answer with these headers set (lower-case names). A known answer is made anew around the same
 * body, which nobody has read; any other is changed in place, or copied when its headers are
 * immutable (a fetched Response).
 */
export function withAnswerHeaders(response: Response, extra: Record<string, string>): Response {
  const head = heads.get(response);
  // Object.assign, not spread: spreading records of header names measured ten times slower (V8).
  if (head) return answerOf(head.body, head.status, Object.assign({}, head.headers, extra), head.read);
  try {
    for (const name in extra) response.headers.set(name, extra[name] as string);
    return response;
  } catch {
    const headers = new Headers(response.headers);
    for (const name in extra) headers.set(name, extra[name] as string);
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  }
}

/**
 * Makes `answer` the request's answer in place of the one Hono holds. Hono copies the old answer's
 * headers into a new one when set directly (through `Headers`); this one already has them.
 */
export function replaceAnswer(c: Context, answer: Response): void {
  if (answer === c.res) return;
  c.res = undefined;
  c.res = answer;
}

/** The JSON body the HTTP backend read for this answer, if it read it whole (small answers); undefined if it streams. */
export function readAnswerOf(response: Response): ReadAnswer | undefined {
  return heads.get(response)?.read;
}
