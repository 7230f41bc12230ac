import type { ZodType } from 'zod';
import { type OperationId, operationId } from '../contract/operations.js';
import type { OperationCall } from '../http/app.js';
import { ApiError, errorResponse } from '../http/errors.js';
import { type EvidenceStore, memoryEvidenceStore } from '../observability/evidence.js';
import type { Logger } from '../observability/log.js';

/**
 * Next-gen answers that broke the contract, per operation, kept in an EvidenceStore (Redis on Node: the
 * whole fleet's count over the evidence window). Counting never waits for the store nor fails a request.
 */
export class ViolationCounter {
  private dropped = 0;

  constructor(
    private readonly store: EvidenceStore = memoryEvidenceStore(),
    private readonly options: {
      background?: (work: Promise<unknown>) => void;
      /** Each violation as it happens, for this instance's metrics. */
      onViolation?: (operation: OperationId) => void;
      logger?: Logger;
    } = {},
  ) {}

  add(operation: OperationId): void {
    this.options.onViolation?.(operation);
    const work = this.store.addViolation(operation).catch((err: unknown) => {
      if (this.dropped++ === 0) {
        this.options.logger?.warn('contract violations: count not stored', {
          error: err instanceof Error ? err.message : String(err),
        });
      }
    });
    this.options.background?.(work);
  }

  async report(): Promise<Partial<Record<OperationId, number>>> {
    return (await this.store.read()).violations;
  }
}

interface DeclaredResponse {
  content?: Record<string, { schema?: unknown }>;
}

function isZod(value: unknown): value is ZodType {
  return typeof value === 'object' && value !== null && typeof (value as ZodType).safeParse === 'function';
}

/**
 * What is wrong with an answer, checked against the route's own zod response schemas (the contract's
 * one source). A JSON answer is read whole to be checked (and handed on as the text read); any other
 * body (the files) is left streaming and only its status and media type are checked.
 */
async function check(call: OperationCall, response: Response): Promise<{ found: string[]; answer: Response }> {
  const declared = (call.operation.responses as Record<string, DeclaredResponse | undefined>)[String(response.status)];
  if (!declared) return { found: [`status ${response.status} is not declared`], answer: response };
  const media = Object.keys(declared.content ?? {});
  if (media.length === 0) return { found: [], answer: response };
  const type = (response.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (!media.includes(type))
    return { found: [`content type '${type}' is not one of ${media.join(', ')}`], answer: response };
  const schema = declared.content?.[type]?.schema;
  if (type !== 'application/json' || !isZod(schema)) return { found: [], answer: response };
  const text = await response.text();
  const answer = new Response(text, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { found: ['body is not JSON'], answer };
  }
  const result = schema.safeParse(body);
  const found = result.success
    ? []
    : result.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`);
  return { found, answer };
}

/**
 * Checks each next-gen answer against the contract: a violation is counted and logged, and in strict
 * mode answered as 502 instead.
 */
export function createNextgenCheck(options: { strict: boolean; logger: Logger; counter: ViolationCounter }) {
  return async (call: OperationCall, response: Response): Promise<Response> => {
    const { found, answer } = await check(call, response);
    if (found.length === 0) return answer;
    const id = operationId(call.operation);
    options.counter.add(id);
    options.logger.warn('next-gen answer breaks the contract', {
      operation: id,
      status: response.status,
      request_id: call.requestId,
      violations: found,
    });
    if (!options.strict) return answer;
    if (!answer.bodyUsed) answer.body?.cancel().catch(() => undefined);
    return errorResponse(
      new ApiError(502, 'the next-gen backend answered outside the contract', { violations: found }),
    );
  };
}
