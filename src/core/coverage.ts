// Coverage: how often each documented error and row-failure code was produced, per namespace and tenant.
import type { VendorModule } from './vendor.js';

export interface CoverageRow {
  code: string;
  status?: number;
  count: number;
}

export interface VendorCoverage {
  vendor: string;
  errors: CoverageRow[];
  rowErrors: CoverageRow[];
  /** Documented codes produced at least once, out of all documented codes. */
  produced: number;
  total: number;
}

/** Who produced a code: the request's vendor, namespace and tenant ('' before auth). */
export interface CoverageScope {
  vendor: string;
  namespace: string;
  tenant: string;
}

export type CoverageFilter = Partial<CoverageScope>;

const SEP = '\u0000';

/** One counted code in one scope: what a shared store keeps as a row. */
export interface CoverageCount extends CoverageScope {
  kind: 'error' | 'row';
  code: string;
  count: number;
}

/** What the control plane asks of coverage counts: this process's, or the database's in shared mode. */
export interface CoverageApi {
  /** Counts each of `codes` once for `scope` (a request's error and its failed rows). */
  countAll(scope: CoverageScope, codes: ReadonlyArray<readonly ['error' | 'row', string]>): unknown;
  report(vendors: readonly VendorModule[], filter?: CoverageFilter): VendorCoverage[] | Promise<VendorCoverage[]>;
  reset(filter?: CoverageFilter): void | Promise<void>;
}

/** Every vendor's documented codes with the counts among `counts` that `filter` selects. */
export function coverageReport(counts: Iterable<CoverageCount>, vendors: readonly VendorModule[], filter: CoverageFilter = {}): VendorCoverage[] {
  const totals = new Map<string, number>();
  for (const c of counts) {
    if (!matches(c, filter)) continue;
    const total = `${c.vendor}${SEP}${c.kind}${SEP}${c.code}`;
    totals.set(total, (totals.get(total) ?? 0) + c.count);
  }
  const countOf = (vendor: string, kind: string, code: string) => totals.get(`${vendor}${SEP}${kind}${SEP}${code}`) ?? 0;
  return vendors
    .filter((vendor) => filter.vendor === undefined || vendor.name === filter.vendor)
    .map((vendor) => {
      const errors = Object.entries(vendor.errors.errors).map(([code, entry]) => ({ code, status: entry.status, count: countOf(vendor.name, 'error', code) }));
      const rowErrors = Object.keys(vendor.errors.rowErrors).map((code) => ({ code, count: countOf(vendor.name, 'row', code) }));
      const all = [...errors, ...rowErrors];
      return { vendor: vendor.name, errors, rowErrors, produced: all.filter((r) => r.count > 0).length, total: all.length };
    });
}

/**
 * Counts by (namespace, tenant, vendor, kind, code). Kept per scope so a CI job reads and resets
 * the counts of its own namespace, not every job's.
 */
export class CoverageCounts implements CoverageApi {
  private readonly counts = new Map<string, number>();

  count(scope: CoverageScope, kind: 'error' | 'row', code: string): void {
    const key = [scope.namespace, scope.tenant, scope.vendor, kind, code].join(SEP);
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  countAll(scope: CoverageScope, codes: ReadonlyArray<readonly ['error' | 'row', string]>): void {
    for (const [kind, code] of codes) this.count(scope, kind, code);
  }

  /** Every vendor's documented codes with their counts within `filter` (all namespaces when absent). */
  report(vendors: readonly VendorModule[], filter: CoverageFilter = {}): VendorCoverage[] {
    return coverageReport(this.rows(), vendors, filter);
  }

  private *rows(): Iterable<CoverageCount> {
    for (const [key, count] of this.counts) {
      const [namespace, tenant, vendor, kind, code] = key.split(SEP) as [string, string, string, 'error' | 'row', string];
      yield { namespace, tenant, vendor, kind, code, count };
    }
  }

  /** Forgets the counts within `filter` (all when empty). */
  reset(filter: CoverageFilter = {}): void {
    for (const key of [...this.counts.keys()]) {
      const [namespace, tenant, vendor] = key.split(SEP) as [string, string, string];
      if (matches({ namespace, tenant, vendor }, filter)) this.counts.delete(key);
    }
  }
}

const matches = (scope: CoverageScope, filter: CoverageFilter): boolean =>
  (filter.vendor === undefined || scope.vendor === filter.vendor) &&
  (filter.namespace === undefined || scope.namespace === filter.namespace) &&
  (filter.tenant === undefined || scope.tenant === filter.tenant);
