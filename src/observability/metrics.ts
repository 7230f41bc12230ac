import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { BackendName } from '../backends/backend.js';
import type { OperationId } from '../contract/operations.js';
import { ResultReadSource, SubmissionRoute } from '../contract/schemas/ops.js';
import type { FlagName } from '../flags/flags.js';
import type { FlagState } from '../flags/state.js';
import { type CallerLog, callerTotals } from '../lifecycle/callers.js';
import type { Lifecycle, LifecycleState } from '../lifecycle/derive.js';
import type { Evidence, ShadowOutcome } from './evidence.js';
import { type CounterSeries, type HistogramSeries, LeanCounter, LeanHistogram } from './lean-metrics.js';
import type { GatewayObserver, UpstreamErrorKind } from './observer.js';
import type { RequestRecord } from './request-record.js';
import { routeReasonLabel } from './route-reason.js';

/** What the gauges read at scrape time (never on the request path). */
export interface MetricSources {
  flags: () => Promise<FlagState>;
  /** The cutover evidence (fleet-wide on Node). */
  evidence: () => Promise<Evidence>;
  lifecycle: Lifecycle;
  /** Callers of the given operations over the last `days` days. */
  callers: (operations: readonly OperationId[], days: number) => Promise<CallerLog>;
}

export type RedisErrorKind = 'timeout' | 'connection' | 'reply' | 'other';

const FLAG_VALUES: Record<FlagName, readonly string[]> = {
  submission_enabled: ['true', 'false'],
  dequeue_enabled: ['true', 'false'],
  submission_route: SubmissionRoute.options,
  result_read_source: ResultReadSource.options,
  legacy_worker_endpoints_enabled: ['true', 'false'],
};

const LIFECYCLE_STATES: readonly LifecycleState[] = ['active', 'deprecated', 'removed'];
const BACKENDS = new Set(['legacy', 'nextgen', 'legacy+nextgen', 'gateway']);
/** The quiet period `retire close` asks for by default (ZPE_RETIRE_QUIET_DAYS). */
const CALLER_DAYS = 7;

/** Request latency, whole requests and backend calls: 1 ms to 30 s. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** The gateway's own share of a request: 50 µs to 100 ms. */
const OVERHEAD_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1];

/** Reads at most once per `ms`, so the gauges of one scrape share one read of the store. */
function shared<T>(read: () => Promise<T>, ms = 1000): () => Promise<T> {
  let last: { at: number; value: Promise<T> } | undefined;
  return () => {
    const now = Date.now();
    if (!last || now - last.at > ms) {
      last = { at: now, value: read() };
      last.value.catch(() => {
        last = undefined;
      });
    }
    return last.value;
  };
}

/** Seconds from now to an ISO timestamp, never negative. */
function secondsUntil(at: string | null | undefined): number | undefined {
  if (!at) return undefined;
  const ms = Date.parse(at);
  return Number.isNaN(ms) ? undefined : Math.max(0, (ms - Date.now()) / 1000);
}

type Histograms = { total: LeanHistogram; upstream: LeanHistogram; overhead: LeanHistogram };
/** A request's series in the three histograms; the upstream one exists once a request called a backend. */
type Series = {
  /** `operation backend`: the series' key in each histogram. */
  key: string;
  labels: { operation: string; backend: string };
  total: HistogramSeries;
  upstream?: HistogramSeries;
  overhead: HistogramSeries;
};
/** Everything one kind of request (operation, backend, route reason, status) updates. */
type RequestSeries = { count: CounterSeries; histograms: Series };

/**
 * The gateway's Prometheus metrics (`/metrics`), in their own registry so two gateways in one process
 * (tests) do not mix. Counters and histograms are updated per request at the one place the request log
 * line is written; everything that describes state (flags, lifecycle, evidence, callers) is read when
 * Prometheus scrapes. Label values are bounded: operation ids, backend names, normalised route reasons,
 * status codes, fixed kinds.
 */
export class GatewayMetrics implements GatewayObserver {
  readonly registry = new Registry();
  /** Per request, kept lean (./lean-metrics.ts): by operation, backend, route_reason and status. */
  private readonly requests: LeanCounter;
  private readonly histograms: Histograms;
  /** The three histograms' series per `operation backend`. */
  private readonly series = new Map<string, Series>();
  /** What a request updates, per `operation backend route_reason status`: one Map lookup per request. */
  private readonly byRequest = new Map<string, RequestSeries>();
  private readonly upstreamErrors: Counter<'backend' | 'kind'>;
  private readonly redisErrors: Counter<'command' | 'kind'>;
  private readonly shadowReads: Counter<'operation' | 'outcome'>;
  private readonly violations: Counter<'operation'>;
  private sources: MetricSources | undefined;

  constructor(build: { version: string }) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.requests = new LeanCounter(
      'zpe_gateway_requests_total',
      'Requests under /api/ and /admin/, by contract operation (unknown: no route), backend that answered, normalised route reason and status code.',
      registers,
    );
    const histogram = (name: string, help: string, buckets: number[]) =>
      new LeanHistogram(name, help, buckets, registers);
    this.histograms = {
      total: histogram(
        'zpe_gateway_request_duration_seconds',
        'Time from the request to its answer headers, by operation and backend.',
        LATENCY_BUCKETS,
      ),
      upstream: histogram(
        'zpe_gateway_upstream_duration_seconds',
        'Time spent waiting for backends (upstream answer headers, or the built-in backend on Redis), per request that called one.',
        LATENCY_BUCKETS,
      ),
      overhead: histogram(
        'zpe_gateway_overhead_seconds',
        "The gateway's own time per request: the request's duration minus its upstream time.",
        OVERHEAD_BUCKETS,
      ),
    };
    this.upstreamErrors = new Counter({
      name: 'zpe_gateway_upstream_errors_total',
      help: 'Backend calls that produced no answer, by backend and kind (timeout, unreachable, reset, invalid_response, broken_body); each attempt counts.',
      labelNames: ['backend', 'kind'],
      registers,
    });
    this.redisErrors = new Counter({
      name: 'zpe_gateway_redis_command_errors_total',
      help: 'Redis commands that failed, by command and kind (timeout, connection, reply, other).',
      labelNames: ['command', 'kind'],
      registers,
    });
    this.shadowReads = new Counter({
      name: 'zpe_gateway_shadow_reads_total',
      help: 'Shadow reads made by this instance, by operation and outcome (matched, mismatched, missing_on_legacy, missing_on_nextgen, failed).',
      labelNames: ['operation', 'outcome'],
      registers,
    });
    this.violations = new Counter({
      name: 'zpe_gateway_nextgen_contract_violations_total',
      help: 'Next-gen answers outside the contract seen by this instance, by operation.',
      labelNames: ['operation'],
      registers,
    });
    new Gauge({
      name: 'zpe_gateway_build_info',
      help: 'Always 1; the labels say which build runs.',
      labelNames: ['version', 'node_version'],
      registers,
    }).set({ version: build.version, node_version: process.version }, 1);
    this.stateGauges();
  }

  /** Where the state gauges read from, once the gateway is assembled. */
  attach(sources: MetricSources): void {
    this.sources = {
      ...sources,
      flags: shared(sources.flags),
      evidence: shared(sources.evidence),
    };
  }

  requestDone(record: RequestRecord): void {
    if (record.operation === undefined && !record.path.startsWith('/api/') && !record.path.startsWith('/admin/'))
      return;
    const operation = record.operation ?? 'unknown';
    const backend = record.backend && BACKENDS.has(record.backend) ? record.backend : 'other';
    const routeReason = routeReasonLabel(record.routeReason);
    const key = `${operation} ${backend} ${routeReason} ${record.status}`;
    let series = this.byRequest.get(key);
    if (!series) {
      series = {
        count: this.requests.of(key, { operation, backend, route_reason: routeReason, status: String(record.status) }),
        histograms: this.histogramsOf(operation, backend),
      };
      this.byRequest.set(key, series);
    }
    series.count.value++;
    const child = series.histograms;
    child.total.observe(record.durationSeconds);
    if (record.upstreamSeconds !== undefined) {
      child.upstream ??= this.histograms.upstream.of(child.key, child.labels);
      child.upstream.observe(record.upstreamSeconds);
    }
    child.overhead.observe(Math.max(0, record.durationSeconds - (record.upstreamSeconds ?? 0)));
  }

  private histogramsOf(operation: string, backend: string): Series {
    const key = `${operation} ${backend}`;
    let child = this.series.get(key);
    if (!child) {
      const labels = { operation, backend };
      child = {
        key,
        labels,
        total: this.histograms.total.of(key, labels),
        overhead: this.histograms.overhead.of(key, labels),
      };
      this.series.set(key, child);
    }
    return child;
  }

  upstreamError(backend: BackendName, kind: UpstreamErrorKind): void {
    this.upstreamErrors.inc({ backend, kind });
  }

  redisError(command: string, kind: RedisErrorKind): void {
    this.redisErrors.inc({ command: /^[a-z]{1,20}$/.test(command) ? command : 'other', kind });
  }

  shadowOutcome(operation: OperationId, outcome: ShadowOutcome): void {
    this.shadowReads.inc({ operation, outcome });
  }

  violation(operation: OperationId): void {
    this.violations.inc({ operation });
  }

  /** Text exposition for `/metrics`. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private stateGauges(): void {
    const registers = [this.registry];
    const self = this;
    const gauge = <L extends string>(
      name: string,
      help: string,
      labelNames: L[],
      fill: (g: Gauge<L>, sources: MetricSources) => Promise<void>,
    ) =>
      new Gauge<L>({
        name,
        help,
        labelNames,
        registers,
        async collect() {
          this.reset();
          const sources = self.sources;
          // A source that cannot be read (Redis down) leaves its gauges empty; the scrape still answers.
          if (sources) await fill(this, sources).catch(() => undefined);
        },
      });

    gauge(
      'zpe_gateway_flag',
      'Cutover flags in force: 1 for the current value of each flag, 0 for its other values.',
      ['flag', 'value'],
      async (g, s) => {
        const state = await s.flags();
        for (const [flag, values] of Object.entries(FLAG_VALUES) as [FlagName, readonly string[]][]) {
          const current = String(state.values[flag]);
          for (const value of values) g.set({ flag, value }, value === current ? 1 : 0);
        }
      },
    );
    gauge(
      'zpe_gateway_flag_expiry_seconds',
      'Seconds until a flag set at runtime returns to its default (only flags that are set).',
      ['flag'],
      async (g, s) => {
        const state = await s.flags();
        for (const [flag, record] of Object.entries(state.records)) {
          const left = record.source === 'set' ? secondsUntil(record.expires_at) : undefined;
          if (left !== undefined) g.set({ flag }, left);
        }
      },
    );
    gauge(
      'zpe_gateway_route_override_expiry_seconds',
      'Operations pinned to a backend, with the seconds until the pin expires.',
      ['operation', 'backend'],
      async (g, s) => {
        const state = await s.flags();
        for (const [operation, pin] of Object.entries(state.overrides)) {
          if (pin) g.set({ operation, backend: pin.backend }, secondsUntil(pin.expires_at) ?? 0);
        }
      },
    );
    gauge(
      'zpe_gateway_rollout_percent',
      'Share of users (0 to 100) a progressive rollout sends to next-gen, per flag (0 after an automatic rollback).',
      ['flag'],
      async (g, s) => {
        for (const [flag, rollout] of Object.entries((await s.flags()).rollouts)) {
          if (rollout) g.set({ flag }, rollout.percent);
        }
      },
    );
    gauge(
      'zpe_gateway_rollout_rolled_back',
      'Rollouts a guard rolled back automatically: 1 until a new change resumes them (the guard and its evidence are in the audit).',
      ['flag'],
      async (g, s) => {
        for (const [flag, rollout] of Object.entries((await s.flags()).rollouts)) {
          if (rollout) g.set({ flag }, rollout.tripped ? 1 : 0);
        }
      },
    );
    gauge(
      'zpe_gateway_shadow_sample_ratio',
      'Fraction of job reads shadowed to the other backend (0: off).',
      [],
      async (g, s) => {
        g.set((await s.flags()).shadow?.sample_rate ?? 0);
      },
    );
    gauge(
      'zpe_gateway_lifecycle_state',
      'Each operation in the retirement: 1 for its state (active, deprecated, removed), 0 for the others.',
      ['operation', 'state'],
      async (g, s) => {
        for (const [operation, entry] of s.lifecycle) {
          for (const state of LIFECYCLE_STATES) g.set({ operation, state }, entry.state === state ? 1 : 0);
        }
      },
    );
    gauge(
      'zpe_gateway_fleet_shadow_reads',
      'Shadow reads over the last 24 hours by operation and outcome, as the parity gate judges them: fleet-wide, the same on every instance (aggregate with max, not sum).',
      ['operation', 'outcome'],
      async (g, s) => {
        for (const [operation, counts] of Object.entries((await s.evidence()).shadow)) {
          for (const [outcome, n] of Object.entries(counts)) g.set({ operation, outcome }, n);
        }
      },
    );
    gauge(
      'zpe_gateway_fleet_shadow_parity_ratio',
      'Matched over compared shadow reads (same job on both sides) over the last 24 hours, fleet-wide; absent with no comparison.',
      ['operation'],
      async (g, s) => {
        for (const [operation, c] of Object.entries((await s.evidence()).shadow)) {
          const compared = c.matched + c.mismatched;
          if (compared > 0) g.set({ operation }, c.matched / compared);
        }
      },
    );
    gauge(
      'zpe_gateway_fleet_nextgen_contract_violations',
      'Next-gen answers outside the contract over the last 24 hours, fleet-wide (aggregate with max).',
      ['operation'],
      async (g, s) => {
        for (const [operation, n] of Object.entries((await s.evidence()).violations)) g.set({ operation }, n ?? 0);
      },
    );
    gauge(
      'zpe_gateway_deprecated_callers',
      `Distinct callers of each deprecated operation over the last ${CALLER_DAYS} days, by kind (user, worker, admin, anonymous); fleet-wide on Node.`,
      ['operation', 'kind'],
      async (g, s) => {
        const totals = await deprecatedCallers(s);
        for (const [operation, callers] of Object.entries(totals)) {
          for (const [kind, seen] of Object.entries(callers)) g.set({ operation, kind }, seen.callers);
        }
      },
    );
    gauge(
      'zpe_gateway_deprecated_calls',
      `Calls of each deprecated operation over the last ${CALLER_DAYS} days, by caller kind; fleet-wide on Node.`,
      ['operation', 'kind'],
      async (g, s) => {
        const totals = await deprecatedCallers(s);
        for (const [operation, callers] of Object.entries(totals)) {
          for (const [kind, seen] of Object.entries(callers)) g.set({ operation, kind }, seen.calls);
        }
      },
    );
  }
}

/** Per deprecated operation, per caller kind: distinct callers and their calls. */
async function deprecatedCallers(s: MetricSources) {
  const deprecated = [...s.lifecycle].filter(([, l]) => l.state === 'deprecated').map(([id]) => id);
  const out: Record<string, Record<string, { callers: number; calls: number }>> = {};
  if (deprecated.length === 0) return out;
  const totals = callerTotals(await s.callers(deprecated, CALLER_DAYS));
  for (const operation of deprecated) {
    const byKind: Record<string, { callers: number; calls: number }> = {};
    for (const kind of ['user', 'worker', 'admin', 'anonymous']) byKind[kind] = { callers: 0, calls: 0 };
    for (const [caller, n] of Object.entries(totals[operation] ?? {})) {
      const kind = caller.split(':')[0] ?? 'anonymous';
      const entry = byKind[kind] ?? { callers: 0, calls: 0 };
      byKind[kind] = entry;
      entry.callers++;
      entry.calls += n;
    }
    out[operation] = byKind;
  }
  return out;
}
