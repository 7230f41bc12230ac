import type { Evidence } from './coordination.js';
import { GUARD_DEFAULTS, type Rollout, type Tripped } from './rollout.js';

export interface ParityEvidence {
  compared: number;
  matched: number;
  minSamples: number;
}

function percent(ratio: number): string {
  return `${(ratio * 100).toFixed(1)}%`;
}

/** The window a rollout's guard looks at: its own window, never before the change that set it. */
export function guardWindow(rollout: Rollout, now: number): { since: number; seconds: number } {
  const seconds = rollout.guard.window_seconds ?? GUARD_DEFAULTS.window_seconds;
  return { since: Math.max(now - seconds * 1000, Date.parse(rollout.set_at)), seconds };
}

/** The first of the rollout's guards the evidence trips, with the evidence; undefined while all hold. */
export function tripOf(
  rollout: Rollout,
  evidence: Evidence,
  parity: ParityEvidence | undefined,
  now: number,
): Omit<Tripped, 'at'> | undefined {
  const guard = rollout.guard;
  const { seconds } = guardWindow(rollout, now);
  const minRequests = guard.min_requests ?? GUARD_DEFAULTS.min_requests;
  const base = { ...evidence, window_seconds: seconds, percent: rollout.percent };
  if (typeof guard.max_error_ratio === 'number' && evidence.requests >= minRequests) {
    const ratio = evidence.errors / evidence.requests;
    if (ratio > guard.max_error_ratio) {
      return {
        guard:
          `next-gen 5xx ratio ${percent(ratio)} (${evidence.errors}/${evidence.requests}) above ` +
          `${percent(guard.max_error_ratio)} over the last ${seconds} s (at least ${minRequests} requests)`,
        evidence: { ...base, error_ratio: ratio, max_error_ratio: guard.max_error_ratio, min_requests: minRequests },
      };
    }
  }
  if (typeof guard.max_contract_violations === 'number' && evidence.violations > guard.max_contract_violations) {
    return {
      guard: `${evidence.violations} next-gen contract violations above ${guard.max_contract_violations} over the last ${seconds} s`,
      evidence: { ...base, max_contract_violations: guard.max_contract_violations },
    };
  }
  if (typeof guard.min_parity === 'number' && parity && parity.compared >= parity.minSamples) {
    const ratio = parity.matched / parity.compared;
    if (ratio < guard.min_parity) {
      return {
        guard: `shadow-read parity ${percent(ratio)} (${parity.matched}/${parity.compared}) below ${percent(guard.min_parity)}`,
        evidence: { ...base, parity: { ...parity, ratio }, min_parity: guard.min_parity },
      };
    }
  }
  return undefined;
}
