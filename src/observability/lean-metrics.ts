import type { Metric, MetricValue, Registry } from 'prom-client';

/**
 * The per-request metrics, kept where an observation costs a few array increments. prom-client's own
 * counters and histograms check and hash their labels on every update, children included: measured,
 * that was about 4 % of a forwarded GET's CPU. These keep one series object per label combination
 * (looked up by the caller once per key) and hand prom-client only what it formats, at scrape time,
 * in its own registry and text format.
 */

type Labels = Record<string, string>;

/** What a prom-client registry reads of a metric at scrape time (its typings' MetricType is not the string it writes). */
interface Scraped {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  aggregator: 'sum';
  values: MetricValue<string>[];
}

abstract class LeanMetric<S> {
  readonly aggregator = 'sum' as const;
  protected readonly series = new Map<string, { labels: Labels; series: S }>();
  abstract readonly type: Scraped['type'];

  constructor(
    readonly name: string,
    readonly help: string,
    registers: Registry[],
  ) {
    // A Metric to the registry: it only asks for the fields below and `get`.
    for (const registry of registers) registry.registerMetric(this as unknown as Metric);
  }

  /** The series of one label combination; `key` names it (callers keep their own short key). */
  of(key: string, labels: Labels): S {
    let entry = this.series.get(key);
    if (!entry) {
      entry = { labels, series: this.create() };
      this.series.set(key, entry);
    }
    return entry.series;
  }

  reset(): void {
    this.series.clear();
  }

  protected abstract create(): S;
  protected abstract values(labels: Labels, series: S): MetricValue<string>[];

  async get(): Promise<Scraped> {
    const values: MetricValue<string>[] = [];
    for (const { labels, series } of this.series.values()) values.push(...this.values(labels, series));
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}

export interface CounterSeries {
  value: number;
}

export class LeanCounter extends LeanMetric<CounterSeries> {
  readonly type = 'counter' as const;

  protected create(): CounterSeries {
    return { value: 0 };
  }

  protected values(labels: Labels, series: CounterSeries): MetricValue<string>[] {
    return [{ labels, value: series.value }];
  }
}

export class HistogramSeries {
  /** Observations per bucket (not cumulative); the last one is +Inf. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(private readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    let bucket = 0;
    while (bucket < this.bounds.length && value > (this.bounds[bucket] as number)) bucket++;
    this.counts[bucket] = (this.counts[bucket] as number) + 1;
    this.sum += value;
    this.count++;
  }
}

export class LeanHistogram extends LeanMetric<HistogramSeries> {
  readonly type = 'histogram' as const;

  constructor(
    name: string,
    help: string,
    private readonly bounds: readonly number[],
    registers: Registry[],
  ) {
    super(name, help, registers);
  }

  protected create(): HistogramSeries {
    return new HistogramSeries(this.bounds);
  }

  protected values(labels: Labels, series: HistogramSeries): MetricValue<string>[] {
    const out: (MetricValue<string> & { metricName: string })[] = [];
    let cumulative = 0;
    this.bounds.forEach((bound, i) => {
      cumulative += series.counts[i] as number;
      out.push({ labels: { ...labels, le: bound }, value: cumulative, metricName: `${this.name}_bucket` });
    });
    out.push({ labels: { ...labels, le: '+Inf' }, value: series.count, metricName: `${this.name}_bucket` });
    out.push({ labels, value: series.sum, metricName: `${this.name}_sum` });
    out.push({ labels, value: series.count, metricName: `${this.name}_count` });
    return out;
  }
}
