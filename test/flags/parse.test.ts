import { describe, expect, it } from 'vitest';
import { parseFlag, serializeFlag } from '../../src/flags/flags.js';
import { emptyRawState, parseFlagState } from '../../src/flags/state.js';
import { LEGACY_FLAG_DEFAULTS } from '../support/legacy-flag-defaults.js';

const defaults = LEGACY_FLAG_DEFAULTS;

describe('legacy flag parsing', () => {
  it.each([
    ['1', true],
    ['TRUE', true],
    [' yes ', true],
    ['On', true],
    ['0', false],
    ['False', false],
    ['NO', false],
    ['off', false],
  ])('reads boolean %j as %s', (raw, value) => {
    expect(parseFlag('submission_enabled', raw, !value)).toBe(value);
  });

  it('falls back to the default for a missing key or an unknown value', () => {
    expect(parseFlag('dequeue_enabled', null, false)).toBe(false);
    expect(parseFlag('dequeue_enabled', 'maybe', true)).toBe(true);
    expect(parseFlag('dequeue_enabled', '', false)).toBe(false);
    expect(parseFlag('dequeue_enabled', '2', true)).toBe(true);
    expect(parseFlag('submission_route', 'nextgen', 'redis-worker')).toBe('redis-worker');
    expect(parseFlag('result_read_source', 'projection', 'redis')).toBe('projection');
  });

  it('reads route and source as the legacy does: trimmed and lower-cased, then one of the literals', () => {
    expect(parseFlag('submission_route', ' Next-Gen\n', 'redis-worker')).toBe('next-gen');
    expect(parseFlag('result_read_source', 'PROJECTION', 'redis')).toBe('projection');
    expect(parseFlag('submission_route', 'next gen', 'redis-worker')).toBe('redis-worker');
    expect(parseFlag('result_read_source', 'projection!', 'redis')).toBe('redis');
  });

  it('writes booleans as 1/0 and enums as their value, like the legacy writers', () => {
    expect(serializeFlag(true)).toBe('1');
    expect(serializeFlag(false)).toBe('0');
    expect(serializeFlag('next-gen')).toBe('next-gen');
  });

  it("treats a value past its key's expiry as the default, and says where each value came from", () => {
    const raw = emptyRawState();
    const now = Date.parse('2026-01-01T00:00:00Z');
    raw.values.submission_route = 'next-gen';
    raw.expiresAtMs.submission_route = now + 10_000;
    raw.meta.submission_route = JSON.stringify({
      actor: 'admin',
      reason: 'r',
      set_at: '',
      expires_at: '2026-01-01T00:00:10Z',
      forced: false,
      value: 'next-gen',
    });
    raw.values.dequeue_enabled = '0';
    raw.expiresAtMs.dequeue_enabled = now + 5000;
    const live = parseFlagState(raw, defaults, now);
    expect(live.values.submission_route).toBe('next-gen');
    expect(live.records.submission_route).toMatchObject({ source: 'set', actor: 'admin', reason: 'r' });
    expect(live.records.dequeue_enabled).toMatchObject({
      value: false,
      source: 'set',
      expires_at: '2026-01-01T00:00:05.000Z',
      actor: null,
    });
    expect(live.records.submission_enabled).toMatchObject({ value: true, source: 'default', expires_at: null });
    const later = parseFlagState(raw, defaults, now + 11_000);
    expect(later.values.submission_route).toBe('redis-worker');
    expect(later.records.submission_route.source).toBe('default');
    expect(later.version).not.toBe(live.version);
  });

  it("goes by the key's lifetime, not by metadata another writer's value left behind", () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    const meta = JSON.stringify({
      actor: 'admin:jane',
      reason: 'stage 1',
      set_at: '',
      expires_at: '2026-01-01T00:00:10Z',
      forced: false,
      value: 'next-gen',
    });
    // The legacy (or redis-cli) replaced the gateway's value with one of its own, without a TTL.
    const replaced = emptyRawState();
    replaced.values.submission_route = 'redis-worker';
    replaced.meta.submission_route = meta;
    const afterMeta = parseFlagState(replaced, { ...defaults, submission_route: 'next-gen' }, now + 60_000);
    expect(afterMeta.values.submission_route).toBe('redis-worker');
    expect(afterMeta.records.submission_route).toMatchObject({ source: 'set', expires_at: null, actor: null });
    // Same value, rewritten with a lifetime of its own: the old metadata does not describe it either.
    const rewritten = emptyRawState();
    rewritten.values.submission_route = 'next-gen';
    rewritten.expiresAtMs.submission_route = now + 3_600_000;
    rewritten.meta.submission_route = meta;
    expect(parseFlagState(rewritten, defaults, now).records.submission_route).toMatchObject({
      value: 'next-gen',
      expires_at: '2026-01-01T01:00:00.000Z',
      actor: null,
    });
  });
});
