// Sandbox server processes for tests: `src/main.ts` through tsx, started as a user starts it, on a free port.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = join(import.meta.dirname, '..');

export interface ServerProcess {
  child: ChildProcess;
  /** `http://127.0.0.1:<port>`, from the `listening on` line. */
  url: string;
  /** `fetch` relative to `url`. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** SIGTERM, then waits for the exit (at once if it already exited). */
  stop(): Promise<void>;
}

/** Starts `bulk-sandbox` with `args` (a free port is added) and resolves once it prints its `listening on` line. */
export async function spawnServer(args: readonly string[]): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', '--port', '0', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    lines.on('line', (line) => {
      if (line.startsWith('listening on ')) resolve(line.slice('listening on '.length));
    });
    child.once('exit', (code, signal) => reject(new Error(`bulk-sandbox ${args.join(' ')} exited (${code ?? signal}) before listening`)));
  });
  // Its later output is not read: keep draining it so a chatty process never blocks on a full pipe.
  lines.on('line', () => {});
  return {
    child,
    url,
    fetch: (path, init) => fetch(`${url}${path}`, init),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = once(child, 'exit');
      child.kill('SIGTERM');
      await gone;
    },
  };
}
