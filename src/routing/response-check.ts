import type { ZodType } from 'zod';
import { type OperationId, operationId } from '../contract/operations.js';
import type { OperationCall } from '../http/app.js';
import { ApiError, errorResponse } from '../http/errors.js';
import type { Logger } from '../observability/log.js';

/** Next-gen answers that broke the contract, per operation, in this instance. */
export class ViolationCounter {
  private readonly counts = new Map<OperationId, number>();

  add(operation: OperationId): void {
    this.counts.set(operation, (this.counts.get(operation) ?? 0) + 1);
  }

  report(): Partial<Record<OperationId, number>> {
    return Object.fromEntries(this.counts);
  }
}

interface DeclaredResponse {
  content?: Record<string, { schema?: unknown }>;
}

function isZod(value: unknown): value is ZodType {
  return typeof value === 'object' && value !== null && typeof (value as ZodType).safeParse === 'function';
}

/** What is wrong with an answer, checked against the route's own zod response schemas (the contract's one source). */
async function violations(call: OperationCall, response: Response): Promise<string[]> {
  const declared = (call.operation.responses as Record<string, DeclaredResponse | undefined>)[String(response.status)];
  if (!declared) return [`status ${response.status} is not declared`];
  const media = Object.keys(declared.content ?? {});
  if (media.length === 0) return [];
  const type = (response.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (!media.includes(type)) return [`content type '${type}' is not one of ${media.join(', ')}`];
  const schema = declared.content?.[type]?.schema;
  if (type !== 'application/json' || !isZod(schema)) return [];
  let body: unknown;
  try {
    body = JSON.parse(await response.text());
  } catch {
    return ['body is not JSON'];
  }
  const result = schema.safeParse(body);
  return result.success
    ? []
    : result.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`);
}

/**
 * Checks each next-gen answer against the contract: a violation is counted and logged, and in strict
 * mode answered as 502 instead. JSON bodies are read from a copy, so the client's stream is untouched.
 */
export function createNextgenCheck(options: { strict: boolean; logger: Logger; counter: ViolationCounter }) {
  return async (call: OperationCall, response: Response): Promise<Response> => {
    const copy = response.clone();
    const found = await violations(call, copy);
    // An unread copy would buffer the whole body for nobody (a tee keeps both branches fed).
    if (!copy.bodyUsed) copy.body?.cancel().catch(() => undefined);
    if (found.length === 0) return response;
    const id = operationId(call.operation);
    options.counter.add(id);
    options.logger.warn('next-gen answer breaks the contract', {
      operation: id,
      status: response.status,
      request_id: call.requestId,
      violations: found,
    });
    if (!options.strict) return response;
    // Not awaited: a tee branch's cancel settles only once both branches are cancelled.
    response.body?.cancel().catch(() => undefined);
    return errorResponse(
      new ApiError(502, 'the next-gen backend answered outside the contract', { violations: found }),
    );
  };
}
