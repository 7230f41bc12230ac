import { describe, expect, it } from 'vitest';
import { emptyRawState, type RawFlagState } from '../../src/flags/state.js';
import type { FlagStorage } from '../../src/flags/storage.js';
import { isolateFlagStorage } from '../../src/runtime/workers/isolate-storage.js';

/** A storage whose loads finish when the test says, in any order, as overlapping KV reads may. */
function slowStorage() {
  const pending: ((raw: RawFlagState) => void)[] = [];
  const storage: FlagStorage = {
    name: 'slow',
    load: () => new Promise<RawFlagState>((resolve) => pending.push(resolve)),
    write: async () => {},
    subscribe: async () => async () => {},
    auditLog: async () => [],
  };
  return { storage, finish: (i: number, raw: RawFlagState) => pending[i]?.(raw) };
}

function state(route: string): RawFlagState {
  const raw = emptyRawState();
  raw.values.submission_route = route;
  return raw;
}

describe('flag loads in one isolate', () => {
  it('never answer a state older than one a later load already saw', async () => {
    const { storage, finish } = slowStorage();
    const kept: Promise<unknown>[] = [];
    const isolate = isolateFlagStorage(storage, (work) => kept.push(work));
    const early = isolate.load();
    const late = isolate.load();
    finish(1, state('next-gen'));
    finish(0, state('redis-worker'));
    expect((await late).values.submission_route).toBe('next-gen');
    expect((await early).values.submission_route).toBe('next-gen');
    // Both loads were handed over to be kept alive past their request.
    expect(kept).toHaveLength(2);
  });

  it('answer each load its own state when they finish in order', async () => {
    const { storage, finish } = slowStorage();
    const isolate = isolateFlagStorage(storage, () => {});
    const first = isolate.load();
    finish(0, state('redis-worker'));
    expect((await first).values.submission_route).toBe('redis-worker');
    const second = isolate.load();
    finish(1, state('next-gen'));
    expect((await second).values.submission_route).toBe('next-gen');
  });
});
