// The control walkthrough in docs/control-api.md, run exactly as written with bash against a live sandbox, twice in a row.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createSandbox } from '../../src/sandbox.js';
import { tempDir } from '../store-inspect.js';

const run = promisify(execFile);
const PAGE = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'control-api.md'), 'utf8');
const MARKER = '<!-- control-walkthrough -->\n```bash\n';

/** The block as printed on the page. */
function walkthrough(): string {
  const start = PAGE.indexOf(MARKER);
  expect(start, 'docs/control-api.md marks its control walkthrough').toBeGreaterThan(0);
  const body = PAGE.slice(start + MARKER.length);
  return body.slice(0, body.indexOf('```\n'));
}

describe('control walkthrough (docs/control-api.md)', () => {
  it('runs as written, twice in a row, every call answered 2xx, and leaves the clock on real time and rate limits on', async () => {
    // The system clock, as a user's `npm start` has it.
    const sandbox = await createSandbox();
    try {
      // Every curl of the block must succeed: --fail-with-body turns a 4xx/5xx into a failed step.
      const script = `set -euo pipefail\ncurl() { command curl --fail-with-body "$@"; }\n${walkthrough()}`;
      for (const round of [1, 2]) {
        const { stdout } = await run('bash', ['-c', script], { env: { ...process.env, B: sandbox.url, TMPDIR: tempDir('walkthrough-') }, timeout: 30_000 });
        expect(stdout, `round ${round}`).toContain('{"status":"ok"}');
        expect(stdout).toContain('{"count":0}');
        const clock = await sandbox.admin.clock();
        expect(clock.frozen).toBe(false);
        expect(Math.abs(Date.parse(clock.now) - Date.now())).toBeLessThan(5_000);
        expect(((await (await sandbox.fetch("/_sandbox/rate-limits")).json()) as { mode: string }).mode).toBe("vendor");
        expect(await sandbox.admin.faults()).toEqual([]);
      }
    } finally {
      await sandbox.close();
    }
  }, 60_000);
});
