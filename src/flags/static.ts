import type { Config } from '../config/env.js';
import type { FlagSnapshot } from './flags.js';

/** Flags from the environment alone, for a gateway without a flag store. */
export function environmentFlags(config: Config): () => Promise<FlagSnapshot> {
  const snapshot: FlagSnapshot = { values: { ...config.flagDefaults }, version: 'env' };
  return async () => snapshot;
}
