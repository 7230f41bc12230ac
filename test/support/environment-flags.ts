import type { Config } from '../../src/config/env.js';
import { emptyRawState, type FlagState, parseFlagState } from '../../src/flags/state.js';

/** Flags from the environment alone, for test gateways without a flag store. */
export function environmentFlags(config: Config): () => Promise<FlagState> {
  const state = parseFlagState(emptyRawState(), config.flagDefaults, Date.now());
  return async () => state;
}
