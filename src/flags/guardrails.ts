import type { FlagName, FlagValues } from './flags.js';

/**
 * The retirement plan's "Required order" as data: each forward move of a flag (away from legacy),
 * the step of the plan it is, and what must already be true. Moving back toward legacy is a
 * rollback and always allowed; `submission_enabled` and `dequeue_enabled` are kill switches.
 */
interface ForwardStep {
  flag: FlagName;
  forward: FlagValues[FlagName];
  step: string;
  after: FlagName[];
  needsParity?: boolean;
  needsDrainedLegacyQueue?: boolean;
}

export const FORWARD_STEPS: ForwardStep[] = [
  {
    flag: 'submission_route',
    forward: 'next-gen',
    step: 'step 1: next-gen submission path replaces POST /api/zpe/jobs (submission_route=next-gen)',
    after: [],
  },
  {
    flag: 'result_read_source',
    forward: 'projection',
    step: 'step 1: projection read path replaces GET /api/zpe/jobs/* (result_read_source=projection)',
    after: ['submission_route'],
    needsParity: true,
  },
  {
    flag: 'legacy_worker_endpoints_enabled',
    forward: false,
    step: 'step 2: next-gen lease/result/failure flow replaces /compute/jobs/* (legacy_worker_endpoints_enabled=false)',
    after: ['submission_route', 'result_read_source'],
    needsDrainedLegacyQueue: true,
  },
];

export interface GuardContext {
  nextgen: { configured: boolean; healthy: boolean; detail: string };
  /** Shadow-read parity over the job reads, against the configured bar. */
  parity: { compared: number; matched: number; minSamples: number; minRatio: number };
  /** Jobs still waiting, leased or delayed in the legacy queue (undefined: not known here). */
  legacyBacklog: number | undefined;
}

export interface Refusal {
  message: string;
  /** Refusals no `force` can override (there is nowhere to send the traffic). */
  absolute?: boolean;
}

/** Checks a change against the plan; answers the refusals, empty when it may go ahead. */
export function checkChange(current: FlagValues, next: FlagValues, ctx: GuardContext): Refusal[] {
  const refusals: Refusal[] = [];
  for (const step of FORWARD_STEPS) {
    const movesForward = current[step.flag] !== step.forward && next[step.flag] === step.forward;
    if (!movesForward) continue;
    if (!ctx.nextgen.configured) {
      refusals.push({
        message: `cannot set ${step.flag}: no next-gen backend is configured (ZPE_NEXTGEN_URL)`,
        absolute: true,
      });
      continue;
    }
    if (!ctx.nextgen.healthy) {
      refusals.push({
        message: `cannot set ${step.flag}: next-gen backend fails its health check (${ctx.nextgen.detail})`,
      });
    }
    for (const prerequisite of step.after) {
      const before = FORWARD_STEPS.find((s) => s.flag === prerequisite);
      if (before && next[prerequisite] !== before.forward) {
        refusals.push({ message: `cannot set ${step.flag} before ${before.step}` });
      }
    }
    if (step.needsParity) {
      const { compared, matched, minSamples, minRatio } = ctx.parity;
      const ratio = compared === 0 ? 0 : matched / compared;
      if (compared < minSamples || ratio < minRatio) {
        refusals.push({
          message:
            `cannot set ${step.flag}: shadow-read parity ${matched}/${compared} does not meet the bar ` +
            `(at least ${minSamples} samples at ${(minRatio * 100).toFixed(1)}%)`,
        });
      }
    }
    if (step.needsDrainedLegacyQueue && ctx.legacyBacklog !== undefined && ctx.legacyBacklog > 0) {
      refusals.push({
        message: `cannot set ${step.flag}: ${ctx.legacyBacklog} job(s) still queued, leased or delayed in the legacy queue`,
      });
    }
  }
  return refusals;
}
