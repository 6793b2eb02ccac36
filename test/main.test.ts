// The process entry: starts on a free port, prints the one documented line, serves, and stops on SIGTERM.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { USAGE } from '../src/config.js';

const root = join(import.meta.dirname, '..');

/** Polls `check` until it holds (at most 5 s): for states another process reaches, never a fixed sleep. */
async function waitFor(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 250; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('waitFor: condition never held');
}

describe('main', () => {
  it('prints "listening on http://HOST:PORT" first, then the same as a JSON log record, and answers health', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', '--port', '0', '--db', ':memory:', '--vendor-port', 'cora=0'], {
      cwd: `${import.meta.dirname}/..`,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
      const line = (await lines.next()).value as string;
      expect(line).toMatch(/^listening on http:\/\/127\.0\.0\.1:\d+$/);
      const url = line.slice('listening on '.length);
      const alone = (await lines.next()).value as string;
      expect(alone).toMatch(/^cora alone on http:\/\/127\.0\.0\.1:\d+$/);
      const record = JSON.parse((await lines.next()).value as string);
      expect(record).toMatchObject({ level: 30, name: 'bulk-sandbox', msg: 'listening', url, vendorUrls: { cora: alone.slice('cora alone on '.length) }, store: 'sqlite' });
      const res = await fetch(`${url}/_sandbox/health`);
      expect(await res.json()).toEqual({ status: 'ok' });
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      expect(code).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('on SIGTERM stops accepting, finishes the request in flight, then exits 0', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', '--port', '0', '--db', ':memory:', '--log-level', 'silent'], {
      cwd: `${import.meta.dirname}/..`,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const lines = createInterface({ input: child.stdout });
      const [line] = (await once(lines, 'line')) as [string];
      const url = line.slice('listening on '.length);
      const json = { 'content-type': 'application/json' };
      const armed = await fetch(`${url}/_sandbox/faults`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ vendor: 'cora', method: 'GET', path: '/external-api/accounts/:externalId', delayMs: 1500 }),
      });
      expect(armed.status).toBe(201);
      const inFlight = fetch(`${url}/cora/external-api/accounts/SLOW`, { headers: { authorization: 'Bearer cora_org_demo.demo_secret' } });
      // The request is in the handler (held by the delay) when the signal comes.
      await waitFor(async () => ((await (await fetch(`${url}/_sandbox/faults`)).json()) as { faults: unknown[] }).faults.length === 0);
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const res = await inFlight;
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ code: 'ACCOUNT_NOT_FOUND' });
      expect(res.headers.get('x-sandbox-request-id')).toMatch(/^\d+$/);
      const [code] = await exited;
      expect(code).toBe(0);
      await expect(fetch(`${url}/_sandbox/health`)).rejects.toThrow();
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('--version prints the package version and --help the usage, each exiting 0', async () => {
    const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
    for (const [flag, expected] of [
      ['--version', version],
      ['--help', USAGE],
    ] as const) {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', flag], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
      let stdout = '';
      child.stdout.on('data', (chunk) => (stdout += String(chunk)));
      const [code] = await once(child, 'exit');
      expect(code).toBe(0);
      expect(stdout).toBe(`${expected}\n`);
    }
  });

  it('refuses a bad flag with exit code 2', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', '--rate-limits', 'never'], {
      cwd: `${import.meta.dirname}/..`,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const [code] = await once(child, 'exit');
    expect(code).toBe(2);
  });
});
