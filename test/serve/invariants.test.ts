// Proves that each invariant the service checks fires, through the shared InvariantLedger, into
// /audit (`violations`, `integrityViolations`) and into invsim_integrity_violations_total: the
// service runs on an in-memory store behind a wrapper with one deliberate bug each (a store
// that keys idempotency by delivery, one whose compare-and-set is a stub, one that applies a
// decrement twice, one that drops dead letters, one whose outbox runs ahead of its levels), and
// a channel model is handed an older version than it lists. A clean run stays at 0 (the other
// serve tests), so each count here is the bug's doing.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { forwardStore } from '../../src/engine/forward-store.js';
import { InMemoryInventoryStore } from '../../src/engine/memory-store.js';
import type { InventoryStore, StockLevel } from '../../src/engine/ports.js';
import type { InvariantName } from '../../src/model/ledger.js';
import { getScenario, parseScenarioText } from '../../src/scenarios/load.js';
import type { Scenario } from '../../src/scenarios/schema.js';
import { Generation } from '../../src/serve/generation.js';
import type { AuditBody } from '../../src/serve/schemas.js';
import { InventoryService } from '../../src/serve/service.js';
import type { StoreFactory } from '../../src/serve/store.js';
import { brokenChannelScenario } from './helpers.js';

const SETTLE_MS = 20_000;

/** One channel (Shopify REST: absolute quantities, applied at once), two racing processor workers. */
function oneChannelScenario(): Scenario {
  return getScenario(
    parseScenarioText(`
scenarios:
  one:
    durationS: 3600
    catalog: { skus: 5, initialStockMin: 1, initialStockMax: 5 }
    channels:
      - { id: good, preset: shopify-rest }
    demand: { ordersPerDay: 100 }
    engine: { processorWorkers: 2 }
    economics: { averageOrderValue: 1, customerLifetimeValue: 1, churnMultiplier: 0 }
    strategies:
      event-driven: { kind: event-driven }
`),
    'one',
  );
}

/** A fresh in-memory store per generation, seen through `wrap`. */
function wrappedMemory(wrap: (inner: InventoryStore) => InventoryStore): StoreFactory {
  return {
    name: 'memory',
    shared: false,
    create: ({ timers, scenario }) => wrap(new InMemoryInventoryStore({ operationLatencyMs: scenario.engine.storeLatencyMs, timers })),
  };
}

const services: InventoryService[] = [];
const generations: Generation[] = [];
afterEach(async () => {
  await Promise.all([...services.splice(0).map((s) => s.close()), ...generations.splice(0).map((g) => g.stop())]);
});

async function serviceOn(scenario: Scenario, wrap: (inner: InventoryStore) => InventoryStore, faults = false): Promise<InventoryService> {
  const service = await InventoryService.create({ scenario, store: wrappedMemory(wrap), faults, alerts: { raise: () => undefined }, warn: () => undefined });
  services.push(service);
  return service;
}

/** The audit's violations counted per invariant. */
function auditCounts(audit: AuditBody): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of audit.violations) counts[v.invariant] = (counts[v.invariant] ?? 0) + 1;
  return counts;
}

/** invsim_integrity_violations_total per invariant, the series at 0 left out. */
async function metricCounts(service: InventoryService): Promise<Record<string, number>> {
  const metric = service.metrics.registry.getSingleMetric('invsim_integrity_violations_total');
  if (metric === undefined) throw new Error('invsim_integrity_violations_total is not registered');
  const counts: Record<string, number> = {};
  for (const { labels, value } of (await metric.get()).values) if (value > 0) counts[String(labels['invariant'])] = value;
  return counts;
}

/** Audits until `done` holds (checks that run after a store call answers) or the deadline. */
async function auditUntil(service: InventoryService, done: (audit: AuditBody) => boolean): Promise<AuditBody> {
  const deadline = performance.now() + SETTLE_MS;
  for (;;) {
    const audit = await service.audit();
    if (done(audit) || performance.now() > deadline) return audit;
    await sleep(20);
  }
}

async function expectViolations(service: InventoryService, expected: Partial<Record<InvariantName, number>>): Promise<AuditBody> {
  expect(await service.settle(SETTLE_MS)).toBe(true);
  const total = Object.values(expected).reduce((a, b) => a + b, 0);
  const audit = await auditUntil(service, (a) => a.integrityViolations >= total);
  expect(audit.settled).toBe(true);
  expect(auditCounts(audit), JSON.stringify(audit.violations)).toEqual(expected);
  expect(audit.integrityViolations).toBe(total);
  expect(await metricCounts(service)).toEqual(expected);
  return audit;
}

describe('the service reports each invariant it checks', () => {
  it('mutation-applied-twice: a store that keys idempotency records by delivery applies a redelivery again', async () => {
    let deliveries = 0;
    const service = await serviceOn(oneChannelScenario(), (inner) =>
      forwardStore(inner, {
        hasProcessed: () => Promise.resolve(false),
        commit: (request, nowMs) => inner.commit({ ...request, mutationId: `${request.mutationId}#${++deliveries}` }, nowMs),
      }),
    );
    expect(await service.adjust('X', { mutationId: 'restock-1', quantityDelta: 2 })).toMatchObject({ status: 'applied', quantity: 2 });
    expect(await service.adjust('X', { mutationId: 'restock-1', quantityDelta: 2 })).toMatchObject({ status: 'applied', quantity: 4 });
    const audit = await expectViolations(service, { 'mutation-applied-twice': 1 });
    expect(audit.violations[0]!.detail).toBe('adjustment:admin:restock-1 applied 2 times on X');
    // Both commits counted, and the level agrees with them: no lost update on top.
    expect(audit.commits).toEqual({ applied: 2, unitsDelta: 4 });
  });

  it('lost-update: with the version check stubbed out, two racing orders both commit from one level', async () => {
    // The seed's `acquireOptimisticLock` stub: the commit takes whatever version is current. Reads
    // are slow, so both workers read 1@1 before either commits; commits run one at a time.
    let commits: Promise<unknown> = Promise.resolve();
    const service = await serviceOn(oneChannelScenario(), (inner) =>
      forwardStore(inner, {
        read: async (sku) => {
          const level = await inner.read(sku);
          await sleep(100);
          return level;
        },
        commit: (request, nowMs) => {
          const run = commits.then(async () => inner.commit({ ...request, expectedVersion: (await inner.read(request.sku)).version }, nowMs));
          commits = run.catch(() => undefined);
          return run;
        },
      }),
    );
    await service.adjust('X', { mutationId: 'restock-1', quantityDelta: 1 });
    const answers = await Promise.all(
      ['o1', 'o2'].map((id) => service.receiveOrder('good', { mutationId: id, orderId: id, sku: 'X', quantity: 1 })),
    );
    expect(answers.map((a) => a.status)).toEqual(['applied', 'applied']);
    const audit = await expectViolations(service, { 'lost-update': 1 });
    expect(audit.violations[0]!.detail).toBe('X holds 0 (v3) but applied mutations give -1 (v3)');
  });

  it('negative-stock: a store that applies a decrement twice goes below zero (and off its mutations)', async () => {
    const service = await serviceOn(oneChannelScenario(), applyingDecrementsTwice);
    await service.adjust('X', { mutationId: 'restock-1', quantityDelta: 1 });
    // The processor asserts it too, after the commit: the order fails as a programmer error.
    await expect(service.receiveOrder('good', { mutationId: 'o1', orderId: 'o1', sku: 'X', quantity: 1 })).rejects.toThrow('invariant: X committed below zero');
    // Its outcome is then learned from the store's record, which is the commit already counted.
    expect((await auditUntil(service, (a) => a.outcomesLearned === 1)).orders).toMatchObject({ applied: 1, pending: 0 });
    const audit = await expectViolations(service, { 'negative-stock': 1, 'lost-update': 1 });
    expect(audit.violations.map((v) => v.detail)).toEqual(['X at -1', 'X holds -1 (v2) but applied mutations give 0 (v2)']);
    expect(audit.commits).toEqual({ applied: 2, unitsDelta: 0 });
  });

  it('update-lost-without-dlq: a store that drops what it is asked to park loses the update', async () => {
    const service = await serviceOn(brokenChannelScenario(), (inner) => forwardStore(inner, { parkDeadLetter: () => Promise.resolve() }), true);
    service.start(); // the outage window counts from here
    await service.adjust('X', { mutationId: 'restock-1', quantityDelta: 3 });
    const audit = await expectViolations(service, { 'update-lost-without-dlq': 1 });
    expect(audit.violations[0]!.detail).toMatch(/^parked update \S+ is not in the dead-letter queue$/);
    expect(audit.dlq).toMatchObject({ depth: 0, parked: 1 });
  });

  it('update-ahead-of-source: a store whose outbox runs a version ahead of its levels gets it listed', async () => {
    const service = await serviceOn(oneChannelScenario(), (inner) =>
      forwardStore(inner, {
        readOutbox: async (afterSeq, limit) => (await inner.readOutbox(afterSeq, limit)).map((e) => ({ ...e, version: e.version + 1 })),
      }),
    );
    await service.adjust('X', { mutationId: 'restock-1', quantityDelta: 3 });
    const audit = await expectViolations(service, { 'update-ahead-of-source': 1 });
    expect(audit.violations[0]!.detail).toBe('good X: version 2 listed while the source of truth is at 1');
  });

  it('version-regression: a channel model handed an older version than it lists', async () => {
    const heard: InvariantName[] = [];
    const generation = await Generation.start({
      scenario: oneChannelScenario(),
      storeFactory: wrappedMemory((inner) => inner),
      seed: 1,
      speedup: 1,
      faults: false,
      maxSkus: 10,
      maxTrackedMutations: 100,
      maxQueueLength: 100,
      alerts: { raise: () => undefined },
      events: { delivered: () => undefined, outcome: () => undefined, oversell: () => undefined, parked: () => undefined, violation: (invariant) => void heard.push(invariant) },
      instanceId: 'test',
      generation: 1,
      reconcileEveryMs: 1_000,
      storefront: false,
      warn: () => undefined,
    });
    generations.push(generation);
    await generation.adjust('X', { mutationId: 'restock-1', quantityDelta: 3 });
    expect(await generation.settle(SETTLE_MS)).toBe(true);
    const channel = generation.channels[0]!;
    expect(await channel.readListing('X')).toEqual({ quantity: 3, version: 1 });
    // A writer outside the dispatcher (whose lanes never send anything older); the preset's
    // background 5xx rate may refuse a request: pushed again until it is taken.
    let taken = false;
    for (let attempt = 0; attempt < 10 && !taken; attempt++) taken = (await channel.pushListing({ sku: 'X', quantity: 3, version: 0 })).ok;
    expect(taken).toBe(true);
    const audit = await generation.audit('one', 'memory');
    expect(audit.violations.map(({ invariant, detail }) => ({ invariant, detail }))).toEqual([{ invariant: 'version-regression', detail: 'good X: version 0 replaced 1' }]);
    expect(audit.integrityViolations).toBe(1);
    expect(heard).toEqual(['version-regression']);
  });
});

/**
 * A store that applies every decrement twice (as a retried DECRBY would) and can hold a level
 * below zero, which the in-memory store refuses: it keeps each level shifted by SHIFT.
 */
function applyingDecrementsTwice(inner: InventoryStore): InventoryStore {
  const SHIFT = 1_000;
  const shown = (level: StockLevel): StockLevel => (level.version === 0 ? level : { quantity: level.quantity - SHIFT, version: level.version });
  return forwardStore(inner, {
    read: async (sku) => shown(await inner.read(sku)),
    commit: async (request, nowMs) => {
      const delta = request.quantity - shown(await inner.read(request.sku)).quantity;
      const written = delta < 0 ? request.quantity + delta : request.quantity;
      const result = await inner.commit({ ...request, quantity: written + SHIFT }, nowMs);
      return result.ok ? { ...result, level: shown(result.level) } : result;
    },
    readOutbox: async (afterSeq, limit) => (await inner.readOutbox(afterSeq, limit)).map((e) => ({ ...e, quantity: e.quantity - SHIFT })),
  });
}
