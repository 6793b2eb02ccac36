// GET /_sandbox/metrics: Prometheus text that counts exactly the requests, rows, errors and faults a test sent.
import { describe, expect, it } from 'vitest';
import { bulk, getAccount, newAccount, BULK_PATH } from '../src/vendors/cora/cora.client.js';
import { bulkCreate } from '../src/vendors/copper/copper.client.js';
import { call, json, useSandbox } from './helpers.js';
import type { Sandbox } from '../src/sandbox.js';

/** The samples of one scrape, by `name{labels}` exactly as exposed; comments checked for well-formedness. */
async function scrape(sandbox: Sandbox): Promise<{ samples: Map<string, number>; text: string }> {
  const res = await sandbox.fetch('/_sandbox/metrics');
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  const text = await res.text();
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      expect(line).toMatch(/^# (HELP \w+ .+|TYPE \w+ (counter|histogram))$/);
      continue;
    }
    const match = /^(\w+(?:\{[^}]*\})?) (\S+)$/.exec(line);
    expect(match, line).not.toBeNull();
    samples.set(match![1]!, Number(match![2]));
  }
  return { samples, text };
}

describe('metrics', () => {
  const sandbox = useSandbox();

  it('counts requests by status, rows, errors and row errors by code, fired faults, and every latency', async () => {
    const s = sandbox();
    await s.admin.armFault({ vendor: 'cora', path: BULK_PATH, rowErrors: { 1: 'VALIDATION_ERROR' } });
    expect((await bulk(s, { accounts: [newAccount('A'), newAccount('B'), newAccount('C')] })).status).toBe(200);
    expect((await bulk(s, { accounts: [newAccount('D')] })).body.code).toBe('RATE_LIMITED');
    expect((await getAccount(s, 'A')).status).toBe(200);
    expect((await call(s, '/cora/external-api/accounts/A')).body.code).toBe('MISSING_AUTH_HEADER');
    expect((await bulkCreate(s, [{ name: 'Ada' }, { name: 'Grace' }])).status).toBe(200);
    // Control calls are not vendor traffic: they must not show up.
    await s.admin.coverage();

    const { samples } = await scrape(s);
    const expected: Record<string, number> = {
      'bulk_sandbox_requests_total{vendor="cora",method="POST",status="200"}': 1,
      'bulk_sandbox_requests_total{vendor="cora",method="POST",status="429"}': 1,
      'bulk_sandbox_requests_total{vendor="cora",method="GET",status="200"}': 1,
      'bulk_sandbox_requests_total{vendor="cora",method="GET",status="401"}': 1,
      'bulk_sandbox_requests_total{vendor="copper",method="POST",status="200"}': 1,
      'bulk_sandbox_errors_total{vendor="cora",code="RATE_LIMITED"}': 1,
      'bulk_sandbox_errors_total{vendor="cora",code="MISSING_AUTH_HEADER"}': 1,
      // Rows of 2xx bulk answers only: the rate-limited batch was never processed.
      'bulk_sandbox_rows_total{vendor="cora"}': 3,
      'bulk_sandbox_rows_total{vendor="copper"}': 2,
      'bulk_sandbox_row_errors_total{vendor="cora",code="VALIDATION_ERROR"}': 1,
      'bulk_sandbox_faults_fired_total{vendor="cora"}': 1,
      'bulk_sandbox_request_duration_seconds_count{vendor="cora"}': 4,
      'bulk_sandbox_request_duration_seconds_bucket{vendor="cora",le="+Inf"}': 4,
      'bulk_sandbox_request_duration_seconds_count{vendor="copper"}': 1,
    };
    for (const [series, value] of Object.entries(expected)) expect(samples.get(series), series).toBe(value);
    const counted = [...samples.keys()].filter((k) => /^bulk_sandbox_(requests|errors|rows|row_errors|faults_fired)_total/.test(k));
    expect(counted.sort()).toEqual(Object.keys(expected).filter((k) => k.endsWith('}') && k.includes('_total')).sort());

    // Histogram buckets are cumulative: never decreasing, ending at the count.
    const buckets = [...samples].filter(([k]) => k.startsWith('bulk_sandbox_request_duration_seconds_bucket{vendor="cora"')).map(([, v]) => v);
    expect(buckets.length).toBe(14);
    expect(buckets).toEqual([...buckets].sort((a, b) => a - b));
    expect(samples.get('bulk_sandbox_request_duration_seconds_sum{vendor="cora"}')).toBeGreaterThanOrEqual(0);
  });

  it('counts a dropped connection as status "dropped", and keeps counting across a reset', async () => {
    const s = sandbox();
    await s.admin.armFault({ vendor: 'cora', path: BULK_PATH, drop: 'beforeCommit' });
    await expect(bulk(s, { accounts: [newAccount('A')] })).rejects.toThrow();
    await call(s, '/_sandbox/reset', { method: 'POST', ...json({}) });
    const { samples, text } = await scrape(s);
    expect(samples.get('bulk_sandbox_requests_total{vendor="cora",method="POST",status="dropped"}')).toBe(1);
    expect(samples.get('bulk_sandbox_faults_fired_total{vendor="cora"}')).toBe(1);
    expect(samples.has('bulk_sandbox_rows_total{vendor="cora"}')).toBe(false);
    // Nothing happened in between: the same state scrapes to the same bytes.
    expect((await scrape(s)).text).toBe(text);
  });

  it('is documented as text in the control API document', () => {
    const op = sandbox().app.documents.sandbox!.paths!['/metrics']!.get!;
    expect(Object.keys(op.responses!['200'].content)).toEqual(['text/plain; version=0.0.4']);
    expect(op.responses!['200'].content['text/plain; version=0.0.4'].schema).toEqual({ type: 'string' });
  });
});
