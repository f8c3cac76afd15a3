/**
 * Assembles a run's `SimulationResult` from its parts' counts and observers, and seals it with
 * the trace hash. Pure: it reads what the parts hold at the end and changes none of it.
 */
import type { LatencyObserver } from '../engine/latency-observer.js';
import { computeRevenueLeakage } from '../engine/leakage.js';
import type { ChannelStats, SimChannel } from '../model/channel.js';
import type { InvariantLedger } from '../model/ledger.js';
import { LATENCY_CDF_QUANTILES, percentilesOrNull, type SimulationResult } from '../model/result.js';
import { runMoney } from '../scenarios/economics.js';
import type { Scenario } from '../scenarios/schema.js';
import type { FreshnessIntegrals, ListingFreshness } from './freshness.js';
import type { Sales } from './sales.js';
import type { TraceRecorder } from './trace.js';

export interface ResultInputs {
  readonly scenario: Scenario;
  readonly strategyName: string;
  readonly seed: number;
  readonly nowMs: number;
  readonly kernelEvents: number;
  readonly nSku: number;
  readonly channels: readonly SimChannel[];
  /** The channels' API counts at the end of the measured period (the heal phase's are not). */
  readonly measuredApi: readonly ChannelStats[];
  readonly freshnessIntegrals: FreshnessIntegrals;
  readonly freshness: ListingFreshness;
  readonly sales: Sales;
  /** Orders placed over the run. */
  readonly placed: number;
  readonly invariants: InvariantLedger;
  readonly observer: LatencyObserver;
  readonly listingObserver: LatencyObserver;
  readonly syncWindowS: (latencyP99Ms: number) => number;
  readonly dlq: { readonly maxDepth: number; readonly parked: number; readonly series: readonly number[] };
  readonly engine: { readonly versionConflicts: number; readonly processorRestarts: number; readonly dispatcherRestarts: number; readonly alerts: number };
  readonly conflictRejected: number;
  readonly convergenceMs: number | null;
  readonly bucketMs: number;
  readonly trace: TraceRecorder;
}

export function buildResult(x: ResultInputs): SimulationResult {
  const sc = x.scenario;
  const durationMs = sc.durationS * 1000;
  const days = sc.durationS / 86_400;
  const exposureMs = x.channels.length * x.nSku * durationMs;
  const merged = x.observer.merged();
  const stale = x.freshness.staleWindows();
  const econ = sc.economics;
  const sales = x.sales;
  const money = runMoney({ oversells: sales.oversold, lostSales: sales.lostSales, scenario: sc });
  const seedInputs = econ.seedModel ?? {
    dailyOrderVolume: Math.max(1, sc.demand.ordersPerDay),
    syncWindowSeconds: x.syncWindowS(merged.p99),
    oversellProbability: 0.02,
  };
  const seedModel = computeRevenueLeakage({
    dailyOrderVolume: seedInputs.dailyOrderVolume,
    syncWindowSeconds: seedInputs.syncWindowSeconds,
    averageOrderValue: Math.max(econ.averageOrderValue, Number.MIN_VALUE),
    oversellProbability: seedInputs.oversellProbability,
    customerLifetimeValue: Math.max(econ.customerLifetimeValue, Number.MIN_VALUE),
    churnMultiplier: Math.max(econ.churnMultiplier, Number.MIN_VALUE),
  });
  const api = x.measuredApi.reduce((a, st) => ({ calls: a.calls + st.calls, throttled: a.throttled + st.throttled, failed: a.failed + st.failed }), { calls: 0, throttled: 0, failed: 0 });
  const fresh = x.freshnessIntegrals;
  const result: SimulationResult = {
    scenario: sc.name,
    strategy: x.strategyName,
    seed: x.seed,
    traceHash: '',
    simulatedSeconds: round3(x.nowMs / 1000),
    orders: {
      arrivals: sales.arrivals,
      placed: x.placed,
      fulfilled: sales.fulfilled,
      oversold: sales.oversold,
      lostSales: sales.lostSales,
      duplicatesIgnored: sales.duplicatesIgnored,
      conflictRejected: x.conflictRejected,
    },
    oversells: sales.oversold,
    lostSales: sales.lostSales,
    integrityViolations: x.invariants.count,
    violations: x.invariants.listed,
    latencyMs: percentilesOrNull(merged),
    listingLatencyMs: percentilesOrNull(x.listingObserver.merged()),
    staleWindowMs: { p50: percentilesOrNull(stale).p50, p99: percentilesOrNull(stale).p99 },
    freshness: {
      meanConfidence: round6(1 - fresh.loss / exposureMs),
      invisibleFraction: round6(fresh.invisible / exposureMs),
      belowMinConfidenceFraction: round6(fresh.belowMin / exposureMs),
    },
    leakage: { ...money, seedModel },
    api,
    dlq: { maxDepth: x.dlq.maxDepth, parked: x.dlq.parked },
    converged: x.convergenceMs !== null,
    convergenceMs: x.convergenceMs === null ? null : round3(x.convergenceMs),
    engine: { ...x.engine, orderProcessingMs: percentilesOrNull(sales.processing.snapshot('orders')) },
    channels: x.channels.map((ch, c) => {
      const snap = x.observer.snapshot(ch.id);
      const listing = x.listingObserver.snapshot(ch.id);
      const dailyQuota = ch.preset.rateLimits.find((r) => r.kind === 'quota' && r.scope !== 'listing');
      return {
        id: ch.id,
        preset: ch.preset.id,
        latencyMs: { count: snap.count, ...percentilesOrNull(snap) },
        listingLatencyMs: { count: listing.count, ...percentilesOrNull(listing) },
        latencyCdf: snap.count === 0 ? { q: [], ms: [] } : { q: [...LATENCY_CDF_QUANTILES], ms: x.observer.quantiles(ch.id, LATENCY_CDF_QUANTILES).map(round3) },
        api: { ...x.measuredApi[c]! },
        orders: { placed: sales.placedByChannel[c]!, lostSales: sales.lostSalesByChannel[c]! },
        quota: {
          limitPerDay: dailyQuota !== undefined && dailyQuota.kind === 'quota' ? round3((dailyQuota.limit * 86_400) / dailyQuota.periodS) : null,
          usedPerDay: round3(x.measuredApi[c]!.calls / days),
        },
      };
    }),
    oversellExamples: sales.oversellExamples,
    series: { bucketMs: round3(x.bucketMs), freshness: x.freshness.series, dlqDepth: [...x.dlq.series] },
    kernel: { events: x.kernelEvents },
  };
  result.traceHash = x.trace.digest(JSON.stringify({ ...result, kernel: undefined }));
  return result;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
