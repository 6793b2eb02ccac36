// Process-lifetime counters for GET /_sandbox/metrics, rendered in the Prometheus text format (0.0.4).

/** Upper bounds (seconds) of the latency histogram: sub-millisecond sandbox answers up to injected delays. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

export interface ObservedRequest {
  vendor: string;
  method: string;
  /** null when a fault dropped the connection. */
  status: number | null;
  durationSeconds: number;
  /** Catalogue name of the request-level error answered, if any. */
  error: string | null;
  /** Rows in the request's batch, for bulk routes answered 2xx. */
  rows: number;
  rowErrors: readonly string[];
  faultFired: boolean;
}

interface Histogram {
  counts: number[];
  sum: number;
  count: number;
}

/** Label values are escaped as the exposition format requires: backslash, quote, newline. */
const escapeLabel = (value: string) => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const labels = (pairs: Record<string, string>) =>
  `{${Object.entries(pairs)
    .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
    .join(',')}}`;

/**
 * Counters are never reset (not even by POST /_sandbox/reset): Prometheus expects them to only
 * grow for the life of the process, and a scrape must not see a reset as a counter wrap.
 */
export class Metrics {
  private readonly counters = new Map<string, Map<string, number>>();
  private readonly latency = new Map<string, Histogram>();
  /** Counters kept elsewhere (the store's), read when rendered. */
  private readonly tracked: Array<{ name: string; help: string; read: () => number }> = [];

  /** Renders `read()` as the counter `name` (a process-lifetime count some other part keeps). */
  track(name: string, help: string, read: () => number): void {
    this.tracked.push({ name, help, read });
  }

  private inc(metric: string, labelSet: Record<string, string>, by = 1): void {
    const series = this.counters.get(metric) ?? new Map<string, number>();
    this.counters.set(metric, series);
    const key = labels(labelSet);
    series.set(key, (series.get(key) ?? 0) + by);
  }

  observe(request: ObservedRequest): void {
    const { vendor } = request;
    this.inc('requests', { vendor, method: request.method, status: request.status === null ? 'dropped' : String(request.status) });
    if (request.error !== null) this.inc('errors', { vendor, code: request.error });
    if (request.rows > 0) this.inc('rows', { vendor }, request.rows);
    for (const code of request.rowErrors) this.inc('rowErrors', { vendor, code });
    if (request.faultFired) this.inc('faults', { vendor });
    const histogram = this.latency.get(vendor) ?? { counts: LATENCY_BUCKETS.map(() => 0), sum: 0, count: 0 };
    this.latency.set(vendor, histogram);
    LATENCY_BUCKETS.forEach((bound, i) => {
      if (request.durationSeconds <= bound) histogram.counts[i]!++;
    });
    histogram.sum += request.durationSeconds;
    histogram.count++;
  }

  /** The exposition text; series sorted so two scrapes of the same state are byte-identical. */
  render(): string {
    const lines: string[] = [];
    const counter = (metric: string, name: string, help: string) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
      for (const [key, value] of [...(this.counters.get(metric) ?? new Map<string, number>())].sort(([a], [b]) => a.localeCompare(b))) {
        lines.push(`${name}${key} ${value}`);
      }
    };
    counter('requests', 'bulk_sandbox_requests_total', 'Vendor API requests answered, by vendor, method and status ("dropped" when a fault closed the connection).');
    counter('errors', 'bulk_sandbox_errors_total', "Request-level errors answered, by vendor and the vendor's error code.");
    counter('rows', 'bulk_sandbox_rows_total', 'Rows received in bulk requests that were answered with a 2xx status, by vendor.');
    counter('rowErrors', 'bulk_sandbox_row_errors_total', "Bulk rows that failed, by vendor and the vendor's row-error code.");
    counter('faults', 'bulk_sandbox_faults_fired_total', 'Requests an armed fault fired on, by vendor.');
    for (const t of this.tracked) lines.push(`# HELP ${t.name} ${t.help}`, `# TYPE ${t.name} counter`, `${t.name} ${t.read()}`);
    const name = 'bulk_sandbox_request_duration_seconds';
    lines.push(`# HELP ${name} Time from receiving a vendor request to its response, by vendor.`, `# TYPE ${name} histogram`);
    for (const [vendor, h] of [...this.latency].sort(([a], [b]) => a.localeCompare(b))) {
      LATENCY_BUCKETS.forEach((bound, i) => lines.push(`${name}_bucket${labels({ vendor, le: String(bound) })} ${h.counts[i]}`));
      lines.push(`${name}_bucket${labels({ vendor, le: '+Inf' })} ${h.count}`);
      lines.push(`${name}_sum${labels({ vendor })} ${h.sum}`);
      lines.push(`${name}_count${labels({ vendor })} ${h.count}`);
    }
    return `${lines.join('\n')}\n`;
  }
}
