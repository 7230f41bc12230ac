import { describe, expect, it } from 'vitest';
import { guardWindow, tripOf } from '../../src/rollout/guard.js';
import type { Rollout } from '../../src/rollout/rollout.js';

const now = Date.parse('2026-12-01T12:00:00Z');

function rollout(guard: Rollout['guard'], setAgoMs = 3_600_000): Rollout {
  return {
    percent: 10,
    target: 'next-gen',
    salt: 's',
    guard,
    actor: 'admin',
    reason: 'r',
    set_at: new Date(now - setAgoMs).toISOString(),
    expires_at: new Date(now + 3_600_000).toISOString(),
    forced: false,
    tripped: null,
  };
}

describe('rollout guards', () => {
  it('trip on the 5xx ratio only once the window holds the minimum of requests', () => {
    const guard = { max_error_ratio: 0.02, window_seconds: 300, min_requests: 50 };
    expect(tripOf(rollout(guard), { requests: 49, errors: 49, violations: 0 }, undefined, now)).toBeUndefined();
    expect(tripOf(rollout(guard), { requests: 100, errors: 2, violations: 0 }, undefined, now)).toBeUndefined();
    const trip = tripOf(rollout(guard), { requests: 100, errors: 3, violations: 0 }, undefined, now);
    expect(trip?.guard).toBe('next-gen 5xx ratio 3.0% (3/100) above 2.0% over the last 300 s (at least 50 requests)');
    expect(trip?.evidence).toMatchObject({ requests: 100, errors: 3, error_ratio: 0.03, window_seconds: 300 });
  });

  it('trip on contract violations above the bar, and on parity below it with enough samples', () => {
    const violations = rollout({ max_contract_violations: 2 });
    expect(tripOf(violations, { requests: 5, errors: 0, violations: 2 }, undefined, now)).toBeUndefined();
    expect(tripOf(violations, { requests: 5, errors: 0, violations: 3 }, undefined, now)?.guard).toBe(
      '3 next-gen contract violations above 2 over the last 300 s',
    );
    const parity = rollout({ min_parity: 0.99 });
    const none = { requests: 0, errors: 0, violations: 0 };
    expect(tripOf(parity, none, { compared: 50, matched: 40, minSamples: 100 }, now)).toBeUndefined();
    expect(tripOf(parity, none, { compared: 200, matched: 190, minSamples: 100 }, now)?.guard).toBe(
      'shadow-read parity 95.0% (190/200) below 99.0%',
    );
  });

  it('look back over their window, never before the change that set the rollout', () => {
    expect(guardWindow(rollout({ window_seconds: 60 }), now).since).toBe(now - 60_000);
    expect(guardWindow(rollout({ window_seconds: 600 }, 10_000), now).since).toBe(now - 10_000);
    expect(tripOf(rollout({}), { requests: 1000, errors: 1000, violations: 1000 }, undefined, now)).toBeUndefined();
  });
});
