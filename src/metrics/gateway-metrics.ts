import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';

import type { CacheCounter, ResultCache } from '../cache/index.js';
import type { LimitKind } from '../core/call-outcome.js';
import type { UpstreamConnection } from '../upstream/index.js';
import { FastCounter, FastHistogram } from './fast-series.js';

/** How a call ended, as the `outcome` label says it (docs/OBSERVABILITY.md "Metrics"): the audit log's classification (src/core). */
export type { CallOutcome, LimitKind } from '../core/call-outcome.js';

/** How an upstream call ended: an answer, an answer with `isError`, or no answer (a JSON-RPC error, a timeout, a lost connection). */
export type UpstreamOutcome = 'ok' | 'tool_error' | 'error';


/** The result cache as the metrics read it at scrape time (src/cache's `ResultCache.stats()`). */
export type CacheStatsSource = Pick<ResultCache, 'stats'>;

export interface GatewayMetricsOptions {
  /** The shared upstream connections: their state at scrape time, and their reconnects as they happen. */
  upstreams: ReadonlyMap<string, UpstreamConnection>;
  cache?: CacheStatsSource | undefined;
  /** Run names that may be a label (configured workflows, agents, orchestrators, routers); others count as `other`. */
  runNames?: Iterable<string>;
  /** Node's process metrics (`process_*`, `nodejs_*`) on this registry; default true. */
  processMetrics?: boolean;
}

/** Seconds: 1 ms to 60 s, for calls that may be answered from a cache or wait on a model. */
const latencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** The cache's per-server counters, by the name of their `event` label. */
const cacheEvents: Record<CacheCounter, string> = {
  hits: 'hit',
  misses: 'miss',
  coalesced: 'coalesced',
  bypassed: 'bypassed',
  stores: 'store',
  tooLarge: 'too_large',
  errorsNotKept: 'error_not_kept'
};

const upstreamStates = ['stopped', 'starting', 'ready', 'failed'] as const;

/**
 * The gateway's Prometheus metrics, on a registry of its own (never prom-client's global one, so gateways in
 * one process do not collide). Counted as calls happen: requests, latencies, in-flight calls, limit refusals,
 * reconnects, runs and steps; read at scrape time: upstream states and the result cache's counters.
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly requests: FastCounter<'method' | 'tool' | 'server' | 'view' | 'outcome'>;
  readonly requestDuration: FastHistogram<'method' | 'tool' | 'server' | 'outcome'>;
  /** Calls in the pipeline now, by method (read at scrape time). */
  readonly inFlight = new Map<string, number>();
  readonly upstreamDuration: FastHistogram<'server' | 'method' | 'outcome'>;
  readonly reconnects: Counter<'server'>;
  readonly limited: Counter<'kind'>;
  /** Tokens token accounting counted (`usage:`/`budgets:`), in its batch: input, result and model tokens. */
  readonly tokens: FastCounter<'tool' | 'server' | 'view' | 'kind'>;
  readonly runs: Counter<'workflow' | 'kind' | 'status'>;
  readonly steps: Counter<'workflow' | 'kind' | 'status'>;
  private readonly runNames: ReadonlySet<string>;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(options: GatewayMetricsOptions) {
    const registers = [this.registry];
    this.runNames = new Set(options.runNames ?? []);
    this.requests = new FastCounter(
      'manifold_requests_total',
      'Calls that reached the gateway pipeline (clients, workflow steps, agents), by method, tool, server, view and outcome.',
      this.registry
    );
    this.requestDuration = new FastHistogram(
      'manifold_request_duration_seconds',
      'Time a call spent in the gateway pipeline, as its caller waited for it (limits, cache, upstream included).',
      this.registry,
      latencyBuckets
    );
    this.tokens = new FastCounter(
      'manifold_tokens_total',
      'Tokens counted by token accounting (usage:, budgets:): arguments sent (input), answers received (result) and model tokens answers reported (model), by tool, server, view and kind.',
      this.registry
    );
    const inFlight = this.inFlight;
    new Gauge({
      name: 'manifold_requests_in_flight',
      help: 'Calls in the gateway pipeline now.',
      labelNames: ['method'],
      registers,
      collect() {
        this.reset();
        for (const [method, count] of inFlight) this.set({ method }, count);
      }
    });
    this.upstreamDuration = new FastHistogram(
      'manifold_upstream_request_duration_seconds',
      'Time from sending a request to an upstream server to its answer (waiting for a server cap not included).',
      this.registry,
      latencyBuckets
    );
    this.reconnects = new Counter({
      name: 'manifold_upstream_reconnects_total',
      help: 'Times an upstream server that had been ready was connected again (after a crash, a lost connection or a restart).',
      labelNames: ['server'],
      registers
    });
    this.limited = new Counter({
      name: 'manifold_rate_limited_total',
      help: 'Requests a limit refused (limits.calls rate or in-flight limits, a full server queue, limits.http, a token budget).',
      labelNames: ['kind'],
      registers
    });
    // Every kind from 0, so that rate() and alerts see a series before the first refusal.
    for (const kind of ['rate', 'inFlight', 'upstream', 'http', 'budget'] satisfies LimitKind[]) this.limited.inc({ kind }, 0);
    this.runs = new Counter({
      name: 'manifold_workflow_runs_total',
      help: 'Runs that ended (workflows, agents, orchestrators, routers), by name, kind and status.',
      labelNames: ['workflow', 'kind', 'status'],
      registers
    });
    this.steps = new Counter({
      name: 'manifold_workflow_steps_total',
      help: 'Steps of runs that ended, by the run name, the step kind and the step status.',
      labelNames: ['workflow', 'kind', 'status'],
      registers
    });
    const upstreams = options.upstreams;
    new Gauge({
      name: 'manifold_upstream_up',
      help: 'Whether an upstream server is ready (1) or not (0).',
      labelNames: ['server'],
      registers,
      collect() {
        this.reset();
        for (const upstream of upstreams.values()) this.set({ server: upstream.name }, upstream.state.kind === 'ready' ? 1 : 0);
      }
    });
    new Gauge({
      name: 'manifold_upstream_state',
      help: 'The state of an upstream server: 1 for the state it is in, 0 for the others.',
      labelNames: ['server', 'state'],
      registers,
      collect() {
        this.reset();
        for (const upstream of upstreams.values()) {
          for (const state of upstreamStates) this.set({ server: upstream.name, state }, upstream.state.kind === state ? 1 : 0);
        }
      }
    });
    for (const upstream of upstreams.values()) {
      let wasReady = upstream.state.kind === 'ready';
      this.unsubscribe.push(
        upstream.onEvent(event => {
          if (event.type !== 'state' || event.state.kind !== 'ready') return;
          if (wasReady) this.reconnects.inc({ server: upstream.name });
          wasReady = true;
        })
      );
      this.reconnects.inc({ server: upstream.name }, 0);
    }
    if (options.cache) this.registerCache(options.cache);
    if (options.processMetrics !== false) {
      collectDefaultMetrics({ register: this.registry });
      // Gauges named like counters (promtool check metrics lints them); `nodejs_active_{handles,requests,resources}`
      // keep the same counts by type.
      for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) this.registry.removeSingleMetric(name);
    }
  }

  /** The text exposition format (version 0.0.4), as a scrape gets it. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** A run's name as a label: a configured one, else `other` (ad hoc definitions must not grow the series). */
  runLabel(name: string): string {
    return this.runNames.has(name) ? name : 'other';
  }

  /** Times an upstream request (the dispatcher's observer). */
  observeUpstream(server: string, method: string, seconds: number, outcome: UpstreamOutcome): void {
    this.upstreamDuration.observe(`${server}\u0000${method}\u0000${outcome}`, () => ({ server, method, outcome }), seconds);
  }

  /** Stops following the upstreams. */
  close(): void {
    for (const unsubscribe of this.unsubscribe.splice(0)) unsubscribe();
  }

  private registerCache(cache: CacheStatsSource): void {
    const registers = [this.registry];
    new Counter({
      name: 'manifold_cache_events_total',
      help: 'Result cache events per server: hit, miss, coalesced (joined an identical call in flight), bypassed, store, too_large, error_not_kept.',
      labelNames: ['server', 'event'],
      registers,
      collect() {
        this.reset();
        for (const [server, counts] of Object.entries(cache.stats().servers)) {
          for (const [key, event] of Object.entries(cacheEvents)) this.inc({ server, event }, counts[key as CacheCounter]);
        }
      }
    });
    new Counter({
      name: 'manifold_cache_removals_total',
      help: 'Result cache entries dropped, by reason: evicted (room), expired (past their time), invalidated (a restart, a list change, a resource update).',
      labelNames: ['reason'],
      registers,
      collect() {
        this.reset();
        const stats = cache.stats();
        this.inc({ reason: 'evicted' }, stats.evictions);
        this.inc({ reason: 'expired' }, stats.expirations);
        this.inc({ reason: 'invalidated' }, stats.invalidations);
      }
    });
    new Gauge({
      name: 'manifold_cache_entries',
      help: 'Results in the cache now.',
      registers,
      collect() {
        this.set(cache.stats().entries);
      }
    });
    new Gauge({
      name: 'manifold_cache_bytes',
      help: 'Bytes of the results in the cache now (their JSON).',
      registers,
      collect() {
        this.set(cache.stats().bytes);
      }
    });
  }
}
