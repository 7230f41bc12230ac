import type { Backend, BackendName } from '../backends/backend.js';
import { OPERATION_IDS, type OperationId, operationById, operationLabel } from '../contract/operations.js';
import { FORWARD_STEPS } from '../flags/guardrails.js';
import type { FlagState } from '../flags/state.js';
import type { FlagStore } from '../flags/store.js';
import { type CallerCounter, type CallerCounts, callerTotals } from '../lifecycle/callers.js';
import { todayUtc } from '../lifecycle/dates.js';
import { deriveLifecycle, type OperationLifecycle } from '../lifecycle/derive.js';
import { type Gate, gatesOf } from '../lifecycle/gates.js';
import type { ChecklistItem, RetirementManifest } from '../lifecycle/manifest.js';
import type { TrafficCounts, TrafficWindow } from '../observability/traffic.js';
import type { ViolationCounter } from '../routing/response-check.js';
import type { ParityCounts, ParityTracker } from '../routing/shadow.js';
import { type RouteNow, routeNow } from './routing-view.js';

/** The quiet period `retire close` asks for by default (ZPE_RETIRE_QUIET_DAYS). */
export const CALLER_DAYS = 7;

export interface OperatorSources {
  flags: FlagStore;
  parity: ParityTracker;
  violations: ViolationCounter;
  traffic: TrafficWindow;
  manifest: RetirementManifest;
  callers: CallerCounter;
  backends: Partial<Record<BackendName, Backend>>;
  parityBar: { minSamples: number; minRatio: number };
  now?: () => number;
}

export interface OperationRow {
  id: OperationId;
  label: string;
  lifecycle: OperationLifecycle;
  route: RouteNow;
  traffic: Record<string, TrafficCounts>;
  parity?: ParityCounts;
  violations: number;
}

export interface OperatorView {
  at: number;
  state: FlagState;
  /** The flags could not be read fresh: what is shown is this instance's cached view. */
  flagsStale: boolean;
  stage: { name: string; detail: string; next: string | undefined };
  backends: { name: BackendName; kind: string; healthy: boolean; detail: string }[];
  operations: OperationRow[];
  trafficMinutes: number;
  evidenceScope: 'fleet' | 'instance';
  parityBar: { minSamples: number; minRatio: number };
  checklist: { item: ChecklistItem; gates: Gate[] }[];
  /** Callers of deprecated operations over CALLER_DAYS; undefined: their storage is unreachable. */
  callers: Partial<Record<OperationId, CallerCounts>> | undefined;
}

function stageOf(state: FlagState): OperatorView['stage'] {
  const done = FORWARD_STEPS.filter((step) => state.values[step.flag] === step.forward);
  const next = FORWARD_STEPS.find((step) => state.values[step.flag] !== step.forward);
  const v = state.values;
  const detail = [
    `submissions: ${v.submission_enabled ? (v.submission_route === 'next-gen' ? 'next-gen' : 'legacy') : 'off'}`,
    `job reads: ${v.result_read_source === 'projection' ? 'next-gen (projection)' : 'legacy (redis)'}`,
    `workers: ${v.legacy_worker_endpoints_enabled ? `legacy${v.dequeue_enabled ? '' : ' (dequeue off)'}` : 'next-gen'}`,
  ].join(' · ');
  const names = ['all on legacy', 'stage 1: submissions moved', 'stage 1b: reads moved', 'stage 2: workers moved'];
  return { name: names[done.length] ?? 'moved', detail, next: next?.step };
}

async function health(backend: Backend) {
  try {
    return { healthy: true, detail: await backend.check() };
  } catch (err) {
    return { healthy: false, detail: err instanceof Error ? err.message : String(err) };
  }
}

/** Everything the page shows, read once per page load (flags fresh from storage, evidence fleet-wide on Node). */
export async function operatorView(sources: OperatorSources): Promise<OperatorView> {
  const now = (sources.now ?? Date.now)();
  let state: FlagState;
  let flagsStale = false;
  try {
    state = await sources.flags.fresh();
  } catch {
    state = await sources.flags.snapshot();
    flagsStale = true;
  }
  const lifecycle = deriveLifecycle(sources.manifest);
  const deprecated = [...lifecycle].filter(([, l]) => l.state === 'deprecated').map(([id]) => id);
  const [parity, violations, callerLog, healths] = await Promise.all([
    sources.parity.report().catch(() => ({}) as Awaited<ReturnType<ParityTracker['report']>>),
    sources.violations.report().catch(() => ({}) as Awaited<ReturnType<ViolationCounter['report']>>),
    sources.callers.read(deprecated, CALLER_DAYS).catch(() => undefined),
    Promise.all(
      (Object.entries(sources.backends) as [BackendName, Backend][]).map(async ([name, backend]) => ({
        name,
        kind: backend.kind,
        ...(await health(backend)),
      })),
    ),
  ]);
  const callers = callerLog ? callerTotals(callerLog) : undefined;
  const traffic = sources.traffic.report();
  const operations = OPERATION_IDS.map((id): OperationRow => {
    const operation = operationById(id);
    return {
      id,
      label: operation ? operationLabel(operation) : id,
      lifecycle: lifecycle.get(id) ?? { state: 'active' },
      route: routeNow(id, state, sources.backends),
      traffic: traffic[id] ?? {},
      parity: parity[id],
      violations: violations[id] ?? 0,
    };
  });
  const today = todayUtc(now);
  // Module and audit gates read the repository's sources: they belong to CI (`retire audit`), not to a running gateway.
  const checklist = sources.manifest.items.map((item) => ({
    item,
    gates:
      item.state === 'open'
        ? gatesOf(sources.manifest, item, { today, quietDays: CALLER_DAYS, callers, read: () => undefined }).filter(
            (g) => g.name !== 'modules' && g.name !== 'audit',
          )
        : [],
  }));
  return {
    at: now,
    state,
    flagsStale,
    stage: stageOf(state),
    backends: healths,
    operations,
    trafficMinutes: sources.traffic.windowMinutes,
    evidenceScope: sources.parity.scope,
    parityBar: sources.parityBar,
    checklist,
    callers,
  };
}
