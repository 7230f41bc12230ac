import type { RawFlagState } from '../../flags/state.js';
import type { FlagStorage } from '../../flags/storage.js';

/**
 * The flag storage as one isolate uses it. Loads overlap here (a background refresh started by one
 * request, an operator's read or change in another), and each caller puts what it loaded in the
 * shared cache. So a load that started earlier but finished later answers the newer state it has
 * seen, never its own older one: the cache never steps back to a state from before a change. Every
 * load is also kept alive past the response of the request that started it.
 */
export function isolateFlagStorage(storage: FlagStorage, background: (work: Promise<unknown>) => void): FlagStorage {
  let started = 0;
  let newest: { seq: number; raw: RawFlagState } | undefined;
  return {
    ...storage,
    load() {
      const seq = ++started;
      const load = storage.load().then((raw) => {
        if (newest && newest.seq > seq) return newest.raw;
        newest = { seq, raw };
        return raw;
      });
      background(load);
      return load;
    },
  };
}
