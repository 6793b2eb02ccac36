// The benchmark harness runs end to end in --quick mode and prints its tables; no timing is asserted.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { findPgBin } from './pg/cluster.js';

const VENDORS = ['cora', 'propel', 'copper', 'mailingcore'];

describe('npm run bench -- --quick', () => {
  it('loads every vendor and the bare baseline, then prints latency, start-up, scale and shared mode on PostgreSQL', async () => {
    // `--server src` runs the sandbox through tsx: no build inside the test suite.
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--quick', '--server', 'src'], {
      cwd: `${import.meta.dirname}/..`,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number];
    expect(code, stderr).toBe(0);

    for (const db of ['memory', 'file']) {
      for (const vendor of VENDORS) {
        // db | endpoint | rows/req | req/s | rows/s | p50 | p99 | CPU | bare req/s | bare rows/s | bare CPU | ratio | RSS
        expect(stdout).toMatch(new RegExp(`^\\| ${db} \\| ${vendor} \\| \\d+ \\| [\\d.]+ \\|( [\\d.,-]+ \\|){7} \\d+% \\| [\\d,]+ \\|$`, 'm'));
      }
    }
    expect(stdout).toContain('bare req/s');
    expect(stdout).toMatch(/^Cora 500-row upsert at 1 connection/m);
    expect(stdout).toMatch(/^Start-up to the first 200/m);
    expect(stdout).toMatch(/^\| 1,000 \| [\d.]+ \|/m);
    // Every probe created, updated and left rows unchanged, and nothing failed under load.
    expect(stdout).not.toContain('non-2xx or errors!');
    expect(stdout).toMatch(/cora: one request did created 250, updated 125, unchanged 125/);
    // Shared mode: each vendor on PostgreSQL against the SQLite file and the bare PostgreSQL baseline,
    // with its round trips, then one process against two; where PostgreSQL is not installed, the part says it was skipped.
    if (!findPgBin()) {
      expect(stdout).toMatch(/^PostgreSQL part SKIPPED/m);
      return;
    }
    for (const vendor of VENDORS) {
      // endpoint | rows/req | req/s | rows/s | p50 | p99 | file rows/s | PostgreSQL / file | bare PostgreSQL rows/s | PostgreSQL / bare |
      // bare / file | round trips: probe, under load | CPU: sandbox, PostgreSQL, then the bare server's and its PostgreSQL's
      expect(stdout).toMatch(
        new RegExp(`^\\| ${vendor} \\| \\d+ \\| [\\d.]+ \\| [\\d,]+ \\|( [\\d.-]+ \\|){2} [\\d,]+ \\| \\d+% \\| [\\d,]+ \\| \\d+% \\| \\d+% \\| \\d+, [\\d.]+ \\|( [\\d.-]+ \\|){4}$`, 'm'),
      );
    }
    expect(stdout).toMatch(/^\| 1 \| [\d.]+ \| [\d,]+ \|/m);
    expect(stdout).toMatch(/^\| 2 \| [\d.]+ \| [\d,]+ \|/m);
    expect(stdout).toMatch(/^Two processes serve \d+% of one's throughput\. Bottleneck: /m);
  }, 120_000);
});
