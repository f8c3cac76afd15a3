/**
 * The audit of several `invsim serve` instances sharing one store, and the end-to-end check no
 * instance can make alone. Each instance counts what it received and answered, and the commits
 * it made (`commits.applied`, `commits.unitsDelta`); after `POST /reset` every level starts at
 * quantity 0, version 0, and every applied commit adds one version and its delta. So, once
 * nothing is in flight, summed over the instances:
 *
 *   Σ commits.applied   = Σ over the SKUs of the store's version    (else a lost or phantom update)
 *   Σ commits.unitsDelta = Σ over the SKUs of the store's quantity
 *
 * `levels` must hold every SKU touched since the reset (from `GET /inventory/{sku}` or the store).
 * An instance that died loses its counts: then the sums say so (a mismatch), and only the store
 * can tell what it committed.
 */
import type { AuditBody } from './schemas.js';

export interface StoreLevelView {
  readonly quantity: number;
  readonly version: number;
}

export interface ClusterViolation {
  readonly invariant: 'cluster-version-mismatch' | 'cluster-quantity-mismatch';
  readonly detail: string;
}

export interface ClusterAudit {
  readonly instances: number;
  readonly orders: {
    readonly received: number;
    readonly applied: number;
    readonly rejected: number;
    readonly duplicates: number;
    readonly decidedElsewhere: number;
    readonly pending: number;
  };
  readonly adjustments: { readonly received: number; readonly applied: number; readonly duplicates: number; readonly rejected: number };
  readonly commits: { readonly applied: number; readonly unitsDelta: number };
  /** Sums over the levels given. */
  readonly store: { readonly skus: number; readonly quantity: number; readonly version: number };
  readonly oversells: number;
  /** The instances' own violations plus the cluster's. */
  readonly integrityViolations: number;
  readonly violations: readonly ClusterViolation[];
}

export function combineAudits(audits: readonly AuditBody[], levels: readonly StoreLevelView[]): ClusterAudit {
  if (audits.length === 0) throw new RangeError('combineAudits: no audits');
  const ids = new Set(audits.map((a) => a.instance.id));
  if (ids.size !== audits.length) throw new RangeError(`combineAudits: the same instance twice (${audits.map((a) => a.instance.id).join(', ')})`);
  const stores = new Set(audits.map((a) => a.store));
  if (stores.size !== 1) throw new RangeError(`combineAudits: instances on different stores (${[...stores].join(', ')})`);
  if (audits.length > 1 && audits.some((a) => !a.instance.sharedStore)) throw new RangeError('combineAudits: an instance without a shared store cannot be summed with others');
  const sum = (f: (a: AuditBody) => number): number => audits.reduce((t, a) => t + f(a), 0);
  const commits = { applied: sum((a) => a.commits.applied), unitsDelta: sum((a) => a.commits.unitsDelta) };
  const store = { skus: levels.length, quantity: levels.reduce((t, l) => t + l.quantity, 0), version: levels.reduce((t, l) => t + l.version, 0) };
  const violations: ClusterViolation[] = [];
  if (commits.applied !== store.version) {
    violations.push({ invariant: 'cluster-version-mismatch', detail: `the instances made ${commits.applied} applied commits; the store's versions add up to ${store.version}` });
  }
  if (commits.unitsDelta !== store.quantity) {
    violations.push({ invariant: 'cluster-quantity-mismatch', detail: `the instances' applied deltas add up to ${commits.unitsDelta}; the store's quantities to ${store.quantity}` });
  }
  return {
    instances: audits.length,
    orders: {
      received: sum((a) => a.orders.received),
      applied: sum((a) => a.orders.applied),
      rejected: sum((a) => a.orders.rejected),
      duplicates: sum((a) => a.orders.duplicates),
      decidedElsewhere: sum((a) => a.orders.decidedElsewhere),
      pending: sum((a) => a.orders.pending),
    },
    adjustments: {
      received: sum((a) => a.adjustments.received),
      applied: sum((a) => a.adjustments.applied),
      duplicates: sum((a) => a.adjustments.duplicates),
      rejected: sum((a) => a.adjustments.rejected),
    },
    commits,
    store,
    oversells: sum((a) => a.oversells),
    integrityViolations: sum((a) => a.integrityViolations) + violations.length,
    violations,
  };
}
