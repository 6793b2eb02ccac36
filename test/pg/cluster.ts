// A throwaway PostgreSQL cluster for tests: Debian's server binaries, initdb in a temp folder, a free port, stopped and removed after.
import { execFileSync, spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The folder of PostgreSQL's server programs: `PG_BIN`, else `pg_config --bindir`, else Debian's newest /usr/lib/postgresql/<n>/bin. */
export function findPgBin(): string | undefined {
  const candidates: string[] = [];
  if (process.env.PG_BIN) candidates.push(process.env.PG_BIN);
  try {
    candidates.push(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  } catch {
    // No pg_config on PATH: Debian keeps the server programs in a versioned folder.
  }
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const versions = readdirSync(debian).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => join(debian, v, 'bin')));
  }
  return candidates.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')));
}

/** A port nobody listens on now (the OS picks it; the cluster takes it a moment later). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** initdb and the server refuse to run as root: as root, they run as `postgres` (Debian's package creates it), else `nobody`. */
function unprivilegedUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const name of ['postgres', 'nobody']) {
    const id = spawnSync('id', ['-u', name], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
    if (id.status === 0 && gid.status === 0) return { uid: Number(id.stdout.trim()), gid: Number(gid.stdout.trim()) };
  }
  throw new Error('running as root, and neither a postgres nor a nobody user exists to run PostgreSQL as');
}

export interface PgCluster {
  /** `postgres://sandbox@127.0.0.1:<port>/<database>`. */
  url(database: string): string;
  /** Creates a database (a fresh one per test file) and answers its URL. */
  createDatabase(name: string): string;
  /** Stops the server (fast shutdown: connections are cut), keeping its data: the database is "down". */
  halt(): void;
  /** Starts the halted server again, on the same port and data. */
  resume(): void;
  /** Stops the server at once and removes its folder. */
  stop(): void;
  /** The postmaster's process id (its children are the backends). */
  pid(): number;
}

export interface ClusterOptions {
  /**
   * Write-ahead log flushed and pages fsynced, commits not waited for (`synchronous_commit=off`):
   * the durability of SQLite's WAL with `synchronous=NORMAL`, for benchmarks that compare the two.
   * Default off: a test cluster's data is thrown away, so it skips fsync altogether.
   */
  durable?: boolean;
}

/** Starts a cluster of its own: trust authentication on 127.0.0.1 only, no fsync unless `durable` (its data is thrown away). */
export async function startCluster(bin: string, options: ClusterOptions = {}): Promise<PgCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'bulk-sandbox-pg-'));
  const user = unprivilegedUser();
  if (user) chownSync(dir, user.uid, user.gid);
  const data = join(dir, 'data');
  const port = await freePort();
  const run = (program: string, args: string[]) => {
    const options: SpawnSyncOptions = { encoding: 'utf8', cwd: dir, ...(user ?? {}) };
    const result = spawnSync(join(bin, program), args, options);
    if (result.status !== 0) throw new Error(`${program} ${args.join(' ')} failed (${result.status}): ${String(result.stderr) || String(result.stdout)}`);
    return String(result.stdout);
  };
  const durability = options.durable ? '-c synchronous_commit=off' : '-c fsync=off -c synchronous_commit=off -c full_page_writes=off';
  const settings = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 ${durability} -c max_connections=400`;
  const start = () => run('pg_ctl', ['-D', data, '-o', settings, '-l', join(dir, 'server.log'), '-w', '-t', '30', 'start']);
  try {
    run('initdb', ['-D', data, '-U', 'sandbox', '--auth=trust', '-E', 'UTF8', '--no-locale', '--no-sync']);
    start();
  } catch (error) {
    const log = join(dir, 'server.log');
    const tail = existsSync(log) ? readFileSync(log, 'utf8').slice(-2000) : '';
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${(error as Error).message}\n${tail}`);
  }
  const url = (database: string) => `postgres://sandbox@127.0.0.1:${port}/${database}`;
  return {
    url,
    createDatabase(name) {
      run('createdb', ['-h', '127.0.0.1', '-p', String(port), '-U', 'sandbox', name]);
      return url(name);
    },
    halt() {
      run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
    },
    resume() {
      start();
    },
    pid() {
      return Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    },
    stop() {
      try {
        // Already halted (a test failed before resuming it): nothing left to stop.
        if (existsSync(join(data, 'postmaster.pid'))) run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
