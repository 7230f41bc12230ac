import type { OperationId } from '../contract/operations.js';
import { FLAG_NAMES, type FlagName } from '../contract/schemas/ops.js';
import { rolloutKey } from '../rollout/rollout.js';
import { flagKey } from './flags.js';

/**
 * Where flag state lives, the same names in Redis and in Workers KV. The five value keys are the
 * legacy control plane's and keep its plain values; everything the gateway adds sits beside them.
 */
export const FLAG_KEYS = {
  value: flagKey,
  meta: (name: FlagName) => `zpe:ops:meta:${name}`,
  override: (operation: OperationId) => `zpe:ops:override:${operation}`,
  shadow: 'zpe:ops:shadow',
  rollout: rolloutKey,
  audit: 'zpe:ops:audit',
  changed: 'zpe:ops:changed',
} as const;

export { FLAG_NAMES };

/** How long audit entries are kept, and how many. */
export const AUDIT_RETENTION = { seconds: 30 * 24 * 3600, entries: 1000 } as const;
