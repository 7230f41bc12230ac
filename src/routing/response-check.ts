import type { ZodType } from 'zod';
import { type OperationId, operationId } from '../contract/operations.js';
import { answerHeader, NOT_JSON, readAnswerOf } from '../http/answer.js';
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
 * one source). A JSON body is checked on what the HTTP backend already read (readAnswerOf): the
 * answer is never read again nor rebuilt. A body that streams (too long to read whole, or not JSON)
 * has only its status and media type checked.
 */
function check(call: OperationCall, response: Response): string[] {
  const declared = (call.operation.responses as Record<string, DeclaredResponse | undefined>)[String(response.status)];
  if (!declared) return [`status ${response.status} is not declared`];
  if (!declared.content) return [];
  const type = (answerHeader(response, 'content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const content = Object.hasOwn(declared.content, type) ? declared.content[type] : undefined;
  if (!content) {
    const media = Object.keys(declared.content);
    if (media.length === 0) return [];
    return [`content type '${type}' is not one of ${media.join(', ')}`];
  }
  const schema = content.schema;
  if (type !== 'application/json' || !isZod(schema)) return [];
  const read = readAnswerOf(response);
  if (!read) return [];
  if (read.json === NOT_JSON) return ['body is not JSON'];
  const result = schema.safeParse(read.json);
  return result.success
    ? []
    : result.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`);
}

/**
 * Checks each next-gen answer against the contract: a violation is counted and logged, and in strict
 * mode answered as 502 instead.
 */
export function createNextgenCheck(options: { strict: boolean; logger: Logger; counter: ViolationCounter }) {
  return (call: OperationCall, response: Response): Response => {
    const found = check(call, response);
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
    // Read whole by the backend, or a stream nobody reads: cancelling it ends the upstream call.
    if (!readAnswerOf(response)) response.body?.cancel().catch(() => undefined);
    return errorResponse(
      new ApiError(502, 'the next-gen backend answered outside the contract', { violations: found }),
    );
  };
}
