import type { RouteConfig } from '@hono/zod-openapi';
import { OPERATIONS, operationId } from '../contract/operations.js';
import { committedManifest } from './committed.js';
import { deriveLifecycle, type Lifecycle } from './derive.js';

let committed: Lifecycle | undefined;

/** The lifecycle of the committed routes/retirement.json. */
export function committedLifecycle(): Lifecycle {
  committed ??= deriveLifecycle(committedManifest());
  return committed;
}

/**
 * The operations the contract publishes under `lifecycle`: removed ones left out, deprecated ones marked
 * `deprecated: true` with their sunset date in `x-sunset`.
 */
export function publishedOperations(lifecycle: Lifecycle = committedLifecycle()): RouteConfig[] {
  return OPERATIONS.flatMap((operation) => {
    const entry = lifecycle.get(operationId(operation));
    if (entry?.state === 'removed') return [];
    if (entry?.state === 'deprecated') return [{ ...operation, deprecated: true, 'x-sunset': entry.sunset }];
    return [operation];
  });
}
