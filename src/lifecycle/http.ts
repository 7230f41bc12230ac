import type { Env, Hono } from 'hono';
import { type Operation, operationId, operationLabel } from '../contract/operations.js';
import { answerHeader, replaceAnswer, withAnswerHeaders } from '../http/answer.js';
import { ApiError, errorResponse } from '../http/errors.js';
import type { CallerCounter } from './callers.js';
import { committedManifest } from './committed.js';
import { deriveLifecycle, type Lifecycle, type OperationLifecycle } from './derive.js';
import { deprecationHeaders, successorLink } from './headers.js';
import { parseManifest, type RetirementManifest } from './manifest.js';

/** What createGateway needs to know about the retirement. */
export interface LifecycleOptions {
  /** Default: the committed routes/retirement.json. */
  manifest?: RetirementManifest;
  /** ZPE_DEPRECATION_DOCS_URL: sent as `Link: <url>; rel="deprecation"` with every deprecated answer. */
  docsUrl?: string;
  /** Counts the callers of deprecated operations. */
  callers?: CallerCounter;
}

/** Checks a given manifest again: one built in code did not come through the file's checks. */
export function lifecycleOf(options: LifecycleOptions = {}): Lifecycle {
  return deriveLifecycle(options.manifest ? parseManifest(options.manifest) : committedManifest());
}

/** `/api/zpe/jobs/{job_id}` as Hono spells it. */
export function honoPath(path: string): string {
  return path.replace(/\{([^}]+)\}/g, ':$1');
}

type Removed = Extract<OperationLifecycle, { state: 'removed' }>;

export function goneResponse(operation: Operation, removed: Removed): Response {
  return errorResponse(
    new ApiError(
      410,
      `${operationLabel(operation)} was retired (checklist item '${removed.item}', closed ${removed.closedAt}); use its successor`,
      {
        successor: removed.successor,
        operation: operationId(operation),
        item: removed.item,
        closed_at: removed.closedAt,
      },
      // Routed by the lifecycle, not by flags: the same routing headers as every other answer, minus a flags version.
      { Link: successorLink(removed.successor), 'x-zpe-backend': 'gateway', 'x-zpe-route-reason': 'lifecycle:removed' },
    ),
  );
}

/**
 * Mounts what the lifecycle changes for one operation, before the operation itself is registered: a removed
 * operation answers 410 (and must not be registered: the return is false); a deprecated one gets a middleware
 * around its validation and handler, so every answer, errors included, carries the deprecation headers.
 */
export function mountLifecycle<E extends Env>(
  app: Hono<E>,
  operation: Operation,
  lifecycle: Lifecycle,
  options: LifecycleOptions = {},
): boolean {
  const entry = lifecycle.get(operationId(operation));
  const method = operation.method.toUpperCase();
  const path = honoPath(operation.path);
  if (entry?.state === 'removed') {
    app.on(method, path, () => goneResponse(operation, entry));
    return false;
  }
  if (entry?.state === 'deprecated') {
    const headers = deprecationHeaders(entry, options.docsUrl);
    app.use(path, async (c, next) => {
      // Hono answers HEAD with the GET route.
      const asked = c.req.method === 'HEAD' ? 'GET' : c.req.method;
      if (asked !== method) return next();
      await next();
      // After the answer: by then whatever checked the caller's credentials has said who it is.
      options.callers?.note(operation, c.req.raw);
      const marks: Record<string, string> = {};
      for (const [name, value] of headers) {
        const key = name.toLowerCase();
        // A backend's own Link header stays; the dates are the gateway's to state.
        const link = key === 'link' ? answerHeader(c.res, 'link') : null;
        marks[key] = link ? `${link}, ${value}` : value;
      }
      replaceAnswer(c, withAnswerHeaders(c.res, marks));
    });
  }
  return true;
}
