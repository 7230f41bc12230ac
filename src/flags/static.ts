import type { Config } from '../config/env.js';
import { emptyRawState, type FlagState, parseFlagState } from './state.js';

/** Flags from the environment alone, for a gateway without a flag store. */
export function environmentFlags(config: Config): () => Promise<FlagState> {
  const state = parseFlagState(emptyRawState(), config.flagDefaults, Date.now());
  return async () => state;
}
