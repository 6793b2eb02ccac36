// The process entry: starts on a free port, prints the one documented line, serves, and stops on SIGTERM.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';

describe('main', () => {
  it('prints "listening on http://HOST:PORT" and answers health', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', '--port', '0', '--db', ':memory:'], {
      cwd: `${import.meta.dirname}/..`,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const lines = createInterface({ input: child.stdout });
      const [line] = (await once(lines, 'line')) as [string];
      expect(line).toMatch(/^listening on http:\/\/127\.0\.0\.1:\d+$/);
      const url = line.slice('listening on '.length);
      const res = await fetch(`${url}/_sandbox/health`);
      expect(await res.json()).toEqual({ status: 'ok' });
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      expect(code).toBe(0);
    } finally {
      child.kill('SIGKILL');
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
