import type { Metric, Registry } from 'prom-client';

/**
 * Counters and histograms for the hot path. prom-client validates and hashes the labels on every update (about
 * 10 µs a call for a counter and a histogram on a loaded machine); these keep each series in a Map under a key
 * the caller builds, so an update is a lookup and an addition, and hand prom-client the values at scrape time
 * (its `registerMetric` takes any object with `name` and `get()`; the text format is its own).
 */
interface MetricValue {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

interface MetricSnapshot {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  aggregator: 'sum';
  values: MetricValue[];
}

abstract class FastMetric<L extends string, S> {
  protected readonly series = new Map<string, { labels: Record<L, string>; state: S }>();

  constructor(
    readonly name: string,
    readonly help: string,
    registry: Registry
  ) {
    registry.registerMetric(this as unknown as Metric);
  }

  /** The state of the series `key` (made with `labels` on first use: build labels only when it is new). */
  protected stateOf(key: string, labels: () => Record<L, string>): S {
    let found = this.series.get(key);
    if (!found) {
      found = { labels: labels(), state: this.initial() };
      this.series.set(key, found);
    }
    return found.state;
  }

  protected abstract initial(): S;
  abstract get(): MetricSnapshot;
}

export class FastCounter<L extends string> extends FastMetric<L, { value: number }> {
  readonly type = 'counter';

  inc(key: string, labels: () => Record<L, string>, value = 1): void {
    this.stateOf(key, labels).value += value;
  }

  protected initial(): { value: number } {
    return { value: 0 };
  }

  get(): MetricSnapshot {
    return {
      name: this.name,
      help: this.help,
      type: 'counter',
      aggregator: 'sum',
      values: [...this.series.values()].map(({ labels, state }) => ({ labels, value: state.value }))
    };
  }
}

interface HistogramState {
  /** Observations per bucket (not cumulative); the last is above every bound. */
  counts: number[];
  sum: number;
  count: number;
}

export class FastHistogram<L extends string> extends FastMetric<L, HistogramState> {
  readonly type = 'histogram';

  constructor(
    name: string,
    help: string,
    registry: Registry,
    private readonly buckets: readonly number[]
  ) {
    super(name, help, registry);
  }

  observe(key: string, labels: () => Record<L, string>, value: number): void {
    const state = this.stateOf(key, labels);
    let index = 0;
    while (index < this.buckets.length && value > (this.buckets[index] as number)) index++;
    state.counts[index] = (state.counts[index] as number) + 1;
    state.sum += value;
    state.count++;
  }

  protected initial(): HistogramState {
    return { counts: new Array<number>(this.buckets.length + 1).fill(0), sum: 0, count: 0 };
  }

  get(): MetricSnapshot {
    const values: MetricValue[] = [];
    for (const { labels, state } of this.series.values()) {
      let cumulative = 0;
      for (const [index, bound] of this.buckets.entries()) {
        cumulative += state.counts[index] as number;
        values.push({ labels: { le: bound, ...labels }, value: cumulative, metricName: `${this.name}_bucket` });
      }
      values.push({ labels: { le: '+Inf', ...labels }, value: state.count, metricName: `${this.name}_bucket` });
      values.push({ labels, value: state.sum, metricName: `${this.name}_sum` });
      values.push({ labels, value: state.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: 'histogram', aggregator: 'sum', values };
  }
}
