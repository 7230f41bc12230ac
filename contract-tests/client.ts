import { ERROR_CODES } from '../src/contract/schemas/errors.js';
import { CheckFailure } from './report.js';
import type { ResponseValidator } from './validate.js';

/** How a request proves who it is: a header (dev-bypass user) or a bearer token (user JWT, worker, admin). */
export type Credentials = { header: string; value: string } | { bearer: string };

export interface Call {
  params?: Record<string, string>;
  query?: Record<string, string | number>;
  /** Sent as JSON. */
  json?: unknown;
  /** Sent verbatim as `application/json` (for bodies that are deliberately not JSON). */
  rawJson?: string;
  auth?: Credentials;
}

export interface Answer {
  status: number;
  contentType: string | null;
  headers: Headers;
  text: string;
  /** The parsed body for JSON answers, else undefined. */
  json: unknown;
}

export interface ClientOptions {
  baseUrl: string;
  /** Where the target serves the contract's `/api/zpe` (e.g. `/v2/zpe` for a next-gen service). */
  basePath: string;
  validator: ResponseValidator;
  fetch: typeof fetch;
  timeoutMs: number;
}

/** Every path of the contract starts with this; a target may serve it under another base path. */
export const CONTRACT_PREFIX = '/api/zpe';

/**
 * HTTP calls by contract operation. Every answer is validated against the contract before the
 * check sees it: a violation fails the check that made the call, whatever it expected.
 */
export class ContractClient {
  responses = 0;
  private readonly origin: string;

  constructor(private readonly options: ClientOptions) {
    this.origin = options.baseUrl.replace(/\/+$/, '');
  }

  /** Calls `method template` of the contract, validates the answer, and returns it. */
  async call(method: string, template: string, call: Call = {}): Promise<Answer> {
    if (!template.startsWith(CONTRACT_PREFIX)) throw new Error(`${template} is not under ${CONTRACT_PREFIX}`);
    const path = template.replace(/\{(\w+)\}/g, (_, name: string) => {
      const value = call.params?.[name];
      if (value === undefined) throw new Error(`no value for {${name}} in ${template}`);
      return encodeURIComponent(value);
    });
    const label = `${method.toUpperCase()} ${template}`;
    const answer = await this.send(method, path, call, label);
    const outcome = this.options.validator.validate(
      method,
      template,
      answer.status,
      answer.contentType,
      answer.json ?? answer.text,
      answer.headers,
    );
    const problems = [...outcome.errors, ...envelopeCodeProblems(answer)];
    if (problems.length > 0) {
      throw new CheckFailure(`${label} → ${answer.status} breaks the contract: ${problems.join('; ')}`);
    }
    return answer;
  }

  /** Calls a path that is no operation of the contract; an error answer must still be an ErrorEnvelope. */
  async callUnknown(method: string, path: string, call: Call = {}): Promise<Answer> {
    const label = `${method.toUpperCase()} ${CONTRACT_PREFIX}${path}`;
    const answer = await this.send(method, `${CONTRACT_PREFIX}${path}`, call, label);
    if (answer.status >= 400) {
      const problems = [...envelopeCodeProblems(answer)];
      if (answer.json === undefined) problems.push(`content type ${answer.contentType ?? 'none'} is not JSON`);
      else problems.push(...this.options.validator.validateComponent('ErrorEnvelope', answer.json).errors);
      if (problems.length > 0) {
        throw new CheckFailure(`${label} → ${answer.status} is not an error envelope: ${problems.join('; ')}`);
      }
    }
    return answer;
  }

  private async send(method: string, contractPath: string, call: Call, label: string): Promise<Answer> {
    const url = new URL(`${this.origin}${this.options.basePath}${contractPath.slice(CONTRACT_PREFIX.length)}`);
    for (const [key, value] of Object.entries(call.query ?? {})) url.searchParams.set(key, String(value));
    const headers = new Headers({ accept: 'application/json' });
    if (call.auth && 'header' in call.auth) headers.set(call.auth.header, call.auth.value);
    if (call.auth && 'bearer' in call.auth) headers.set('authorization', `Bearer ${call.auth.bearer}`);
    let body: string | undefined;
    if (call.json !== undefined || call.rawJson !== undefined) {
      headers.set('content-type', 'application/json');
      body = call.rawJson ?? JSON.stringify(call.json);
    }
    let response: Response;
    try {
      response = await this.options.fetch(url, {
        method: method.toUpperCase(),
        headers,
        body,
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (err) {
      throw new CheckFailure(`${label} got no answer: ${describeFetchError(err)}`);
    }
    const text = await response.text();
    this.responses += 1;
    const contentType = response.headers.get('content-type');
    let json: unknown;
    if (contentType && /^application\/([\w.+-]+\+)?json\b/i.test(contentType) && text !== '') {
      try {
        json = JSON.parse(text);
      } catch {
        throw new CheckFailure(
          `${label} → ${response.status} says ${contentType} but is not JSON: ${text.slice(0, 80)}`,
        );
      }
    }
    return { status: response.status, contentType, headers: response.headers, text, json };
  }
}

/** The legacy envelope's codes go with fixed statuses (legacy-redis-layout.md, "Error envelope"). */
function envelopeCodeProblems(answer: Answer): string[] {
  if (answer.status < 400) return [];
  const expected = (ERROR_CODES as Record<number, string | undefined>)[answer.status];
  const error = (answer.json as { error?: { code?: unknown } } | undefined)?.error;
  if (expected === undefined || error === undefined || error.code === expected) return [];
  return [`error code '${String(error.code)}' does not go with status ${answer.status} (expected '${expected}')`];
}

function describeFetchError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  if (err.name === 'TimeoutError') return 'timed out';
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? err.message;
}

/** The envelope's message, for saying why a check got an answer it did not expect. */
export function errorMessage(answer: Answer): string {
  const error = (answer.json as { error?: { message?: unknown } } | undefined)?.error;
  return typeof error?.message === 'string' ? `: ${error.message}` : '';
}

/** Fails unless the answer has one of the statuses. */
export function expectStatus(answer: Answer, ...statuses: number[]): void {
  if (!statuses.includes(answer.status)) {
    throw new CheckFailure(`expected ${statuses.join(' or ')}, got ${answer.status}${errorMessage(answer)}`);
  }
}
