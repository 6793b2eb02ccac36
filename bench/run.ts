// `npm run bench`: loads each vendor's bulk endpoint and the bare baseline with autocannon, then start-up and scale; prints one table.
import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { writeFileSync } from 'node:fs';
import pg from 'pg';
import { parseJsonBody } from '../src/core/body.js';
import { SqliteStore } from '../src/core/sqlite-store.js';
import { CORA_MIGRATIONS, CoraAccounts } from '../src/vendors/cora/store.js';
import { checkUpsert, newAccount } from '../src/vendors/cora/validation.js';
import type { CoraAccount, CoraAccountUpsert } from '../src/vendors/cora/schemas.js';
import { findPgBin, startCluster, type PgCluster } from '../test/pg/cluster.js';
import { coraWorkload, copperWorkload, mailingcoreWorkload, propelWorkload, setPoolRotations, type BenchRequest, type VendorWorkload } from './bodies.js';

const ROOT = join(import.meta.dirname, '..');
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    /** `dist` (the built JavaScript, the default) or `src` (through the tsx loader: no build needed, start-up not comparable). */
    server: { type: 'string', default: 'dist' },
    db: { type: 'string', default: 'both' },
    vendors: { type: 'string', default: 'cora,propel,copper,mailingcore' },
    /**
     * Parts to run: load, latency, startup, scale, postgres (shared mode against a SQLite file and the bare
     * baseline on PostgreSQL, on a throwaway cluster of Debian's PostgreSQL; skipped with a warning where it
     * is not installed), replicas (with postgres: one sandbox process against two on one database), and
     * prism, when --prism is given.
     */
    only: { type: 'string', default: 'load,latency,startup,scale,postgres,replicas,prism' },
    /**
     * Prism's CLI script (e.g. node_modules/.bin/prism of `npm install @stoplight/prism-cli` in a
     * folder of its own; env BENCH_PRISM): Cora against Prism mocking specs/cora.openapi.json.
     */
    prism: { type: 'string', default: process.env.BENCH_PRISM },
    json: { type: 'string' },
    /** Overrides for experiments: seconds per repetition, and repetitions. */
    duration: { type: 'string' },
    reps: { type: 'string' },
    /** Where the built sandbox is (default `dist`), for a private build while others rebuild `dist`. */
    dist: { type: 'string', default: 'dist' },
    /** Extra node flags for the sandbox process, e.g. `--cpu-prof --cpu-prof-dir=prof`. */
    'node-flags': { type: 'string', default: '' },
    /** The same for the bare baseline's process, to profile both sides alike. */
    'baseline-node-flags': { type: 'string', default: '' },
  },
});

const QUICK = args.quick!;
const PLAN = QUICK
  ? { warmupS: 0.2, durationS: 0.5, reps: 1, latencyS: 0.5, connections: 10, scale: [0, 1_000], startups: 1 }
  : { warmupS: 3, durationS: 8, reps: 3, latencyS: 8, connections: 10, scale: [0, 100_000, 1_000_000], startups: 5 };
if (QUICK) setPoolRotations(2);
if (args.duration) Object.assign(PLAN, { durationS: Number(args.duration), latencyS: Number(args.duration) });
if (args.reps) Object.assign(PLAN, { reps: Number(args.reps) });
const DB_MODES = (args.db === 'both' ? ['memory', 'file'] : [args.db!]) as Array<'memory' | 'file'>;
const VENDORS = args.vendors!.split(',');
const PARTS = new Set(args.only!.split(','));
const tmp = mkdtempSync(join(tmpdir(), 'bulk-bench-'));
let fileCount = 0;
const dbPath = (mode: 'memory' | 'file') => (mode === 'memory' ? ':memory:' : join(tmp, `db-${++fileCount}.sqlite`));

// ---- processes -------------------------------------------------------------------------------

interface Server {
  child: ChildProcess;
  url: string;
  /** ms from spawn to the `listening on` line. */
  listenMs: number;
  startedAt: number;
}

function start(command: string[], label: string): Promise<Server> {
  const startedAt = performance.now();
  const child = spawn(process.execPath, command, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const match = /^listening on (\S+)$/.exec(line);
      if (match) resolve({ child, url: match[1]!, listenMs: performance.now() - startedAt, startedAt });
    });
    child.once('exit', (code) => reject(new Error(`${label} exited with ${code} before listening`)));
  });
}

const sandboxCommand = (db: string, extra: string[] = []) => [
  ...extra,
  ...(args.server === 'src' ? ['--import', 'tsx', 'src/main.ts'] : [join(args.dist!, 'main.js')]),
  ...['--port', '0', '--db', db, '--rate-limits', 'off', '--log-level', 'silent'],
];
const flags = (value: string | undefined) => (value ?? '').split(' ').filter(Boolean);
const startSandbox = (db: string) => start(sandboxCommand(db, flags(args['node-flags'])), 'sandbox');
const startBaseline = (db: string) =>
  start([...flags(args['baseline-node-flags']), '--import', 'tsx', 'bench/baseline-server.ts', '--port', '0', '--db', db], 'baseline');

async function stop(server: Server): Promise<void> {
  if (server.child.exitCode !== null) return;
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGTERM');
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
  if (server.child.exitCode === null) server.child.kill('SIGKILL');
}

/** VmRSS and VmHWM (peak) of a process, in MiB. */
function memory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
}

// ---- load --------------------------------------------------------------------------------------

interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  /** Server CPU (user + system) per request, in ms: steadier than req/s on a shared machine. */
  cpuMs: number;
  /** Requests answered. */
  requests: number;
}

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** One autocannon run's target: where, what, over how many connections. */
interface Target {
  url: string;
  next: () => BenchRequest;
  connections: number;
}

async function cannon(target: Target, durationS: number) {
  return autocannon({
    url: target.url,
    connections: target.connections,
    duration: durationS,
    timeout: 30,
    requests: [
      {
        method: 'POST',
        setupRequest(req) {
          const r = target.next();
          // A copy: autocannon writes Content-Length into the headers object it is given.
          return { ...req, path: r.path, headers: { ...r.headers }, body: r.body };
        },
      },
    ],
  });
}

/**
 * Loads `targets` at once for `durationS`. Throughput is their sum and each latency percentile the
 * worst of theirs; `cpu` (CPU seconds so far of whatever serves them) is charged per request.
 */
async function loadMany(targets: Target[], durationS: number, cpu?: () => number): Promise<LoadResult> {
  const cpuBefore = cpu?.() ?? 0;
  const results = await Promise.all(targets.map((t) => cannon(t, durationS)));
  const total = results.reduce((s, r) => s + r.requests.total, 0);
  const cpuMs = cpu === undefined ? NaN : ((cpu() - cpuBefore) * 1000) / Math.max(1, total);
  return {
    rps: results.reduce((s, r) => s + r.requests.total / r.duration, 0),
    p50: Math.max(...results.map((r) => r.latency.p50)),
    p99: Math.max(...results.map((r) => r.latency.p99)),
    non2xx: results.reduce((s, r) => s + r.non2xx, 0),
    errors: results.reduce((s, r) => s + r.errors + r.timeouts, 0),
    cpuMs,
    requests: total,
  };
}

const load = (url: string, next: () => BenchRequest, connections: number, durationS: number, pid?: number) =>
  loadMany([{ url, next, connections }], durationS, pid === undefined ? undefined : () => cpuSeconds(pid));

/** One setup request (seed, probe) on a connection of its own, away from the load's connections. */
function send(url: string, r: BenchRequest): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${r.path}`, { method: r.method, headers: r.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200) reject(new Error(`${r.path} answered ${res.statusCode}: ${text.slice(0, 300)}`));
        else resolve(JSON.parse(text));
      });
    });
    req.on('error', reject);
    req.end(r.body);
  });
}

/** The baseline gets the very same body, at its generic endpoint. */
const baselinePath = (workload: VendorWorkload) => `/bulk/${workload.vendor}?array=${workload.baseline.array}&key=${workload.baseline.key}`;
function toBaseline(workload: VendorWorkload): () => BenchRequest {
  const path = baselinePath(workload);
  return () => ({ ...workload.next(), path });
}

/** What one probe request reported, in a few words (proves creates, updates and no-ops all happen). */
function outcome(vendor: string, body: unknown): string {
  const b = body as any;
  const count = (xs: unknown[], f: (x: any) => string) => Object.entries(xs.reduce<Record<string, number>>((m, x) => ((m[f(x)] = (m[f(x)] ?? 0) + 1), m), {})).map(([k, v]) => `${k} ${v}`).join(', ');
  if (Array.isArray(b?.results)) return count(b.results, (r) => r.status);
  if (vendor === 'cora') return `created ${b.summary.created}, updated ${b.summary.updated}, unchanged ${b.summary.unchanged}, failed ${b.summary.failed}`;
  if (vendor === 'propel') return count(b.data, (r) => (r.success ? r.action : 'failed'));
  if (vendor === 'copper') return count(b, (r) => (r.success === false ? 'failed' : 'ok'));
  return `created ${b.created}, updated ${b.updated}, failed ${b.failed}`;
}

async function propelToken(url: string): Promise<string> {
  const res = await fetch(`${url}/propel/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials&client_id=demo_client&client_secret=demo_secret',
  });
  return ((await res.json()) as { access_token: string }).access_token;
}

function workloadFor(vendor: string, tag: string, token: string): VendorWorkload {
  switch (vendor) {
    case 'cora':
      return coraWorkload(tag);
    case 'propel':
      return propelWorkload(tag, token);
    case 'copper':
      return copperWorkload(tag);
    case 'mailingcore':
      return mailingcoreWorkload(tag);
    default:
      throw new Error(`unknown vendor ${vendor}`);
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

interface Row {
  db: string;
  vendor: string;
  batch: number;
  sandbox: LoadResult & { reps: number[] };
  baseline: LoadResult & { reps: number[] };
  probe: string;
  baselineProbe: string;
}

function summarise(results: LoadResult[]): LoadResult & { reps: number[] } {
  return {
    rps: median(results.map((r) => r.rps)),
    p50: median(results.map((r) => r.p50)),
    p99: median(results.map((r) => r.p99)),
    non2xx: results.reduce((s, r) => s + r.non2xx, 0),
    cpuMs: median(results.map((r) => r.cpuMs)),
    errors: results.reduce((s, r) => s + r.errors, 0),
    requests: results.reduce((s, r) => s + r.requests, 0),
    reps: results.map((r) => r.rps),
  };
}

const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);

/** One side of a comparison: where to send, what, the process whose CPU is counted, and a database's CPU seconds so far when it has one of its own. */
interface Side {
  url: string;
  next: () => BenchRequest;
  pid: number | undefined;
  dbCpu?: () => number;
}

/** A side's load, with its database's CPU per request (ms) when the side has `dbCpu`. */
type SideResult = LoadResult & { dbCpuMs: number };

async function loadSide(side: Side, durationS: number): Promise<SideResult> {
  const before = side.dbCpu?.() ?? 0;
  const result = await load(side.url, side.next, PLAN.connections, durationS, side.pid);
  const dbCpuMs = side.dbCpu ? ((side.dbCpu() - before) * 1000) / Math.max(1, result.requests) : NaN;
  return { ...result, dbCpuMs };
}

/**
 * Warms every side up, then loads them in turns, one repetition each, so drift in the
 * machine's load hits all alike; `report` is told after each round. Answers each side's
 * repetitions, then their warm-ups.
 */
async function interleaved<S extends readonly Side[]>(
  sides: readonly [...S],
  report: (rep: number, results: Each<S, SideResult>) => void,
): Promise<[Each<S, SideResult[]>, Each<S, SideResult>]> {
  const warm: SideResult[] = [];
  for (const side of sides) warm.push(await loadSide(side, PLAN.warmupS));
  const reps: SideResult[][] = sides.map(() => []);
  for (let rep = 0; rep < PLAN.reps; rep++) {
    for (const [i, side] of sides.entries()) reps[i]!.push(await loadSide(side, PLAN.durationS));
    report(rep + 1, reps.map((r) => r.at(-1)!) as Each<S, SideResult>);
  }
  return [reps as Each<S, SideResult[]>, warm as Each<S, SideResult>];
}

/** A tuple of `U`, one per element of `T`. */
type Each<T extends readonly unknown[], U> = { -readonly [K in keyof T]: U };

async function loadSuite(mode: 'memory' | 'file') {
  const sandbox = await startSandbox(dbPath(mode));
  const baseline = await startBaseline(dbPath(mode));
  const rows: Row[] = [];
  const rss: Record<string, number> = {};
  try {
    const token = await propelToken(sandbox.url);
    for (const vendor of VENDORS) {
      const tag = `b${mode[0]}`;
      const vendorLoad = workloadFor(vendor, tag, token);
      const baseLoad = workloadFor(vendor, tag, token);
      const toBase = toBaseline(baseLoad);
      log(`${mode} ${vendor}: seeding ${vendorLoad.seedRequests().length} batches`);
      for (const r of vendorLoad.seedRequests()) await send(sandbox.url, r);
      for (const r of baseLoad.seedRequests()) await send(baseline.url, { ...r, path: baselinePath(baseLoad) });
      const probe = outcome(vendor, await send(sandbox.url, vendorLoad.next()));
      const baselineProbe = outcome('baseline', await send(baseline.url, toBase()));
      log(`${mode} ${vendor}: probe ${probe} | baseline ${baselineProbe}`);
      const [[s, b]] = await interleaved(
        [
          { url: sandbox.url, next: () => vendorLoad.next(), pid: sandbox.child.pid },
          { url: baseline.url, next: toBase, pid: baseline.child.pid },
        ],
        (rep, [sr, br]) =>
          log(
            `${mode} ${vendor} rep ${rep}: sandbox ${sr.rps.toFixed(1)} req/s (${sr.cpuMs.toFixed(2)} CPU ms/req), ` +
              `baseline ${br.rps.toFixed(1)} req/s (${br.cpuMs.toFixed(2)} CPU ms/req)`,
          ),
      );
      rows.push({ db: mode, vendor, batch: vendorLoad.batch, sandbox: summarise(s), baseline: summarise(b), probe, baselineProbe });
      rss[vendor] = memory(sandbox.child.pid!).rss;
    }
    return { rows, rss, sandboxPeak: memory(sandbox.child.pid!).peak, baselinePeak: memory(baseline.child.pid!).peak };
  } finally {
    await stop(sandbox);
    await stop(baseline);
  }
}

/** Cora 500-row latency at one connection (the p99 goal is stated at 1 connection). */
async function coraLatency(mode: 'memory' | 'file') {
  const sandbox = await startSandbox(dbPath(mode));
  try {
    const work = coraWorkload('lat');
    for (const r of work.seedRequests()) await send(sandbox.url, r);
    await load(sandbox.url, () => work.next(), 1, PLAN.warmupS);
    return await load(sandbox.url, () => work.next(), 1, PLAN.latencyS);
  } finally {
    await stop(sandbox);
  }
}

// ---- start-up ----------------------------------------------------------------------------------

async function startupMs(mode: 'memory' | 'file'): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < PLAN.startups; i++) {
    const server = await start(sandboxCommand(dbPath(mode)), 'sandbox');
    for (;;) {
      const res = await fetch(`${server.url}/_sandbox/health`).catch(() => undefined);
      if (res?.status === 200) break;
    }
    times.push(performance.now() - server.startedAt);
    await stop(server);
  }
  return times;
}

// ---- scale -------------------------------------------------------------------------------------

/** Seeds `count` Cora accounts straight through the store (no HTTP), as one organization's data. */
async function seedCora(path: string, count: number): Promise<void> {
  const store = new SqliteStore(path);
  try {
    await store.migrate('cora', CORA_MIGRATIONS);
    const accounts = new CoraAccounts(store);
    const scope = { namespace: '', tenant: 'org_demo' };
    const now = new Date().toISOString();
    const chunk = 20_000;
    for (let start = 0; start < count; start += chunk) {
      const batch: CoraAccount[] = [];
      for (let i = start; i < Math.min(count, start + chunk); i++) {
        const upsert = {
          externalId: `seed-${i}`,
          phoneNumber: '+15555550111',
          portfolioId: 'PORTFOLIO_SEED',
          metadata: { filenumber: `seed-${i}`, score: i % 997 },
          person: { name: { first: `First${i}`, last: `Last${i}` } },
          currentBalance: i / 4,
          tags: ['seed'],
        } as CoraAccountUpsert;
        batch.push(newAccount(upsert, { id: `acc_${i.toString(16).padStart(24, '0')}`, organizationId: 'org_demo', now }));
      }
      // Stores open no transaction of their own: one per chunk, as a bulk request has one.
      await store.transaction((tx) => accounts.write({ ...scope, tx }, batch));
    }
  } finally {
    await store.close();
  }
}

async function scaleStep(count: number) {
  const path = dbPath('file');
  const seededAt = performance.now();
  if (count > 0) await seedCora(path, count);
  const seedS = (performance.now() - seededAt) / 1000;
  const sandbox = await startSandbox(path);
  try {
    const work = coraWorkload(`scale${count}`);
    for (const r of work.seedRequests()) await send(sandbox.url, r);
    await load(sandbox.url, () => work.next(), 1, PLAN.warmupS);
    const result = await load(sandbox.url, () => work.next(), 1, PLAN.latencyS);
    return { count, seedS, ...result };
  } finally {
    await stop(sandbox);
  }
}

// ---- PostgreSQL (shared mode) -------------------------------------------------------------------

/** CPU seconds so far of a PostgreSQL cluster: its postmaster and every process it started (backends, writers). */
function clusterCpuSeconds(cluster: PgCluster): number {
  const postmaster = cluster.pid();
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited between the listing and the read
    }
    const fields = stat.split(') ')[1]!.split(' ');
    // utime and stime; for the postmaster also cutime and cstime, the CPU of the backends it has
    // reaped: a pool's connection that closes takes its CPU out of the live sum and into these
    // (without them a run in which connections closed came out negative).
    if (Number(entry) === postmaster) total += (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / 100;
    else if (Number(fields[1]) === postmaster) total += (Number(fields[11]) + Number(fields[12])) / 100;
  }
  return total;
}

/**
 * Round trips a sandbox process has made to PostgreSQL so far (its metrics: statements sent
 * together count once); the metrics request's own shared-state query is not counted.
 */
async function roundTrips(url: string): Promise<number> {
  const text = await (await fetch(`${url}/_sandbox/metrics`)).text();
  const match = /^bulk_sandbox_store_round_trips_total (\d+)$/m.exec(text);
  if (!match) throw new Error('the sandbox reports no bulk_sandbox_store_round_trips_total: is it on PostgreSQL?');
  return Number(match[1]) - 1;
}

/** Each request of `next` goes to one of `count` namespaces in turn, as parallel jobs sharing a sandbox send. */
function spreadOver(count: number, next: () => BenchRequest): () => BenchRequest {
  let turn = 0;
  return () => {
    const r = next();
    return { ...r, headers: { ...r.headers, 'x-sandbox-namespace': `job-${turn++ % count}` } };
  };
}

/**
 * Shared mode's price: each vendor's maximum batch on PostgreSQL (one sandbox process) against the
 * same build on a SQLite file and against the bare baseline on PostgreSQL (its ceiling), interleaved;
 * then (part `replicas`) Cora over 8 namespaces on one process against two processes on one database.
 * The cluster is durable as SQLite's WAL is (pages fsynced, commits not waited for).
 */
async function postgresSuite(bin: string) {
  const cluster = await startCluster(bin, { durable: true });
  const admin = new pg.Client({ connectionString: cluster.url('postgres') });
  try {
    await admin.connect();
    const version = (await admin.query<{ server_version: string }>('SHOW server_version')).rows[0]!.server_version;
    const engines = await postgresVsSqlite(cluster);
    const replicas = PARTS.has('replicas') ? await replicaScaling(cluster) : undefined;
    return { version, engines, replicas };
  } finally {
    await admin.end().catch(() => {});
    cluster.stop();
  }
}

async function postgresVsSqlite(cluster: PgCluster) {
  const pgSandbox = await startSandbox(cluster.createDatabase('bench_one'));
  const fileSandbox = await startSandbox(dbPath('file'));
  const bare = await startBaseline(cluster.createDatabase('bench_bare'));
  const clusterCpu = () => clusterCpuSeconds(cluster);
  const rows = [];
  try {
    const tokens = { pg: await propelToken(pgSandbox.url), file: await propelToken(fileSandbox.url) };
    for (const vendor of VENDORS) {
      const onPg = workloadFor(vendor, 'pg', tokens.pg);
      const onFile = workloadFor(vendor, 'pg', tokens.file);
      const onBare = workloadFor(vendor, 'pg', tokens.pg);
      const toBare = toBaseline(onBare);
      log(`postgres ${vendor}: seeding ${onPg.seedRequests().length} batches on each engine`);
      for (const r of onPg.seedRequests()) await send(pgSandbox.url, r);
      for (const r of onFile.seedRequests()) await send(fileSandbox.url, r);
      for (const r of onBare.seedRequests()) await send(bare.url, { ...r, path: baselinePath(onBare) });
      const before = await roundTrips(pgSandbox.url);
      const probe = outcome(vendor, await send(pgSandbox.url, onPg.next()));
      const probeTrips = (await roundTrips(pgSandbox.url)) - before;
      const fileProbe = outcome(vendor, await send(fileSandbox.url, onFile.next()));
      const bareProbe = outcome('baseline', await send(bare.url, toBare()));
      log(`postgres ${vendor}: probe ${probe} in ${probeTrips} round trips | file ${fileProbe} | bare ${bareProbe}`);
      const tripsBefore = await roundTrips(pgSandbox.url);
      const [[p, f, b], [warm]] = await interleaved(
        [
          { url: pgSandbox.url, next: () => onPg.next(), pid: pgSandbox.child.pid, dbCpu: clusterCpu },
          { url: fileSandbox.url, next: () => onFile.next(), pid: fileSandbox.child.pid },
          { url: bare.url, next: toBare, pid: bare.child.pid, dbCpu: clusterCpu },
        ],
        (rep, [pr, fr, br]) =>
          log(`postgres ${vendor} rep ${rep}: postgres ${pr.rps.toFixed(1)} req/s, sqlite file ${fr.rps.toFixed(1)} req/s, bare postgres ${br.rps.toFixed(1)} req/s`),
      );
      // Every request the PostgreSQL side served since the counter was read, its warm-up's included.
      const served = warm.requests + p.reduce((sum, r) => sum + r.requests, 0);
      rows.push({
        vendor,
        batch: onPg.batch,
        postgres: summarise(p),
        file: summarise(f),
        bare: summarise(b),
        probe,
        fileProbe,
        bareProbe,
        probeTrips,
        tripsPerRequest: ((await roundTrips(pgSandbox.url)) - tripsBefore) / served,
        clusterCpuMs: median(p.map((r) => r.dbCpuMs)),
        bareClusterCpuMs: median(b.map((r) => r.dbCpuMs)),
      });
    }
    return rows;
  } finally {
    await stop(pgSandbox);
    await stop(fileSandbox);
    await stop(bare);
  }
}

const NAMESPACES = 8;

/** Cora 500-row upserts spread over 8 namespaces: one sandbox process with all 10 connections, against two processes with 5 each, interleaved. */
async function replicaScaling(cluster: PgCluster) {
  const url = cluster.createDatabase('bench_replicas');
  const servers = [await startSandbox(url), await startSandbox(url)];
  try {
    const work = coraWorkload('rep');
    const next = spreadOver(NAMESPACES, () => work.next());
    log(`replicas: seeding ${NAMESPACES} namespaces`);
    for (let ns = 0; ns < NAMESPACES; ns++) {
      for (const r of work.seedRequests()) await send(servers[0]!.url, { ...r, headers: { ...r.headers, 'x-sandbox-namespace': `job-${ns}` } });
    }
    const half = PLAN.connections / 2;
    const configs = {
      one: [{ url: servers[0]!.url, next, connections: PLAN.connections }],
      two: servers.map((s) => ({ url: s.url, next, connections: half })),
    };
    /** CPU seconds so far by who spent them: the sandbox processes, PostgreSQL, and this process (the load generator). */
    const cpu = () => ({
      sandbox: servers.reduce((sum, s) => sum + cpuSeconds(s.child.pid!), 0),
      postgres: clusterCpuSeconds(cluster),
      generator: (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
    });
    for (const targets of Object.values(configs)) await loadMany(targets, PLAN.warmupS);
    const runs: Record<'one' | 'two', Array<LoadResult & { busy: Record<string, number> }>> = { one: [], two: [] };
    for (let rep = 0; rep < PLAN.reps; rep++) {
      for (const name of ['one', 'two'] as const) {
        const before = cpu();
        const startedAt = performance.now();
        const result = await loadMany(configs[name], PLAN.durationS);
        const wallS = (performance.now() - startedAt) / 1000;
        const after = cpu();
        // Share of the machine's cores each part kept busy over the run.
        const busy = Object.fromEntries(Object.keys(before).map((k) => [k, (after[k as keyof typeof after] - before[k as keyof typeof before]) / wallS / cpus().length]));
        runs[name].push({ ...result, busy });
        log(`replicas rep ${rep + 1} ${name}: ${result.rps.toFixed(1)} req/s, p99 ${result.p99} ms`);
      }
    }
    const summary = (name: 'one' | 'two') => ({
      ...summarise(runs[name]),
      busy: Object.fromEntries(Object.keys(runs[name][0]!.busy).map((k) => [k, median(runs[name].map((r) => r.busy[k]!))])),
    });
    return { batch: work.batch, namespaces: NAMESPACES, cores: cpus().length, one: summary('one'), two: summary('two') };
  } finally {
    await Promise.all(servers.map(stop));
  }
}

// ---- Prism ------------------------------------------------------------------------------------

/** A port nobody listens on now (Prism takes a port number, not 0). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/**
 * Prism (stateless: validates the request against the spec, answers the documented example)
 * against the sandbox on `:memory:`, Cora 500-row bodies, interleaved like the load part.
 * Prism runs quietened (`-v silent`) and with `--errors`, so an invalid request gets an error.
 */
async function prismSuite(cli: string) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const startedAt = performance.now();
  const child = spawn(process.execPath, [cli, 'mock', 'specs/cora.openapi.json', '-p', String(port), '-h', '127.0.0.1', '--errors', '-v', 'silent'], {
    cwd: ROOT,
    stdio: 'ignore',
  });
  const prism: Server = { child, url, listenMs: NaN, startedAt };
  const sandbox = await startSandbox(dbPath('memory'));
  try {
    const work = coraWorkload('prism');
    const first = work.next();
    // Prism serves the vendor's paths at its root, as the vendor does; the sandbox under /cora.
    const prismPath = first.path.replace(/^\/cora/, '');
    const toPrism = () => ({ ...work.next(), path: prismPath });
    let startupMs = NaN;
    for (let i = 0; i < 600 && Number.isNaN(startupMs); i++) {
      const res = await fetch(`${url}${prismPath}`, { method: 'POST', headers: first.headers, body: first.body }).catch(() => undefined);
      if (res?.status === 200) startupMs = performance.now() - startedAt;
      else await new Promise((resolve) => setTimeout(resolve, 50));
    }
    if (Number.isNaN(startupMs)) throw new Error('Prism did not answer 200 within 30 s');
    const invalid = await fetch(`${url}${prismPath}`, { method: 'POST', headers: first.headers, body: '{"accounts":"no"}' });
    for (const r of work.seedRequests()) await send(sandbox.url, r);
    const [[s, p]] = await interleaved(
      [
        { url: sandbox.url, next: () => work.next(), pid: sandbox.child.pid },
        { url, next: toPrism, pid: child.pid },
      ],
      (rep, [sr, pr]) => log(`prism rep ${rep}: sandbox ${sr.rps.toFixed(1)} req/s, prism ${pr.rps.toFixed(1)} req/s`),
    );
    return {
      startupMs,
      invalidStatus: invalid.status,
      sandbox: { ...summarise(s), peak: memory(sandbox.child.pid!).peak },
      prism: { ...summarise(p), peak: memory(child.pid!).peak },
      floorMs: coraValidationFloorMs(),
    };
  } finally {
    await stop(sandbox);
    await stop(prism);
  }
}

/**
 * What any server that validates a Cora 500-row body must spend before it stores anything: the
 * sandbox's own body parser (UTF-8 decode, `JSON.parse`, shape check) and zod check of every row, timed in this process
 * (median ms of 200 bodies). Prism's CPU ms/req is to be read against it.
 */
function coraValidationFloorMs(): number {
  const work = coraWorkload('floor');
  const bodies = Array.from({ length: 20 }, () => Buffer.from(work.next().body));
  const once = (body: Buffer) => {
    const { accounts } = parseJsonBody(body, 'application/json') as { accounts: unknown[] };
    for (const row of accounts) if (!checkUpsert(row).ok) throw new Error('the bench body is invalid');
  };
  for (let i = 0; i < 40; i++) once(bodies[i % bodies.length]!);
  const times = Array.from({ length: 200 }, (_, i) => {
    const t = performance.now();
    once(bodies[i % bodies.length]!);
    return performance.now() - t;
  });
  return times.sort((a, b) => a - b)[times.length >> 1]!;
}

// ---- report ------------------------------------------------------------------------------------

const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '-');
const f0 = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-');

async function main(): Promise<void> {
  const started = new Date();
  const load1 = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const out: string[] = [];
  const report: Record<string, unknown> = { started: started.toISOString(), quick: QUICK, plan: PLAN, server: args.server, loadavgBefore: load1 };

  if (PARTS.has('load')) {
    const suites = [];
    for (const mode of DB_MODES) suites.push({ mode, ...(await loadSuite(mode)) });
    report.load = suites;
    out.push(
      `Bulk upsert at each vendor's maximum batch, ${PLAN.connections} connections, ${PLAN.reps} × ${PLAN.durationS} s after a ${PLAN.warmupS} s warm-up (medians); rate limits off.`,
      '',
      '| db | endpoint | rows/req | req/s | rows/s | p50 ms | p99 ms | CPU ms/req | bare req/s | bare rows/s | bare CPU ms/req | ratio | RSS MiB |',
      '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    );
    for (const suite of suites) {
      for (const row of suite.rows) {
        const ratio = row.sandbox.rps / row.baseline.rps;
        out.push(
          `| ${row.db} | ${row.vendor} | ${row.batch} | ${f1(row.sandbox.rps)} | ${f0(row.sandbox.rps * row.batch)} | ${row.sandbox.p50} | ${row.sandbox.p99} | ${f1(row.sandbox.cpuMs)} | ` +
            `${f1(row.baseline.rps)} | ${f0(row.baseline.rps * row.batch)} | ${f1(row.baseline.cpuMs)} | ${(ratio * 100).toFixed(0)}% | ${f0(suite.rss[row.vendor]!)} |`,
        );
      }
    }
    out.push('');
    for (const suite of suites) {
      out.push(`- ${suite.mode}: sandbox peak RSS ${f0(suite.sandboxPeak)} MiB (VmHWM over the whole load), bare baseline ${f0(suite.baselinePeak)} MiB.`);
      for (const row of suite.rows) {
        const bad = row.sandbox.non2xx + row.sandbox.errors + row.baseline.non2xx + row.baseline.errors;
        out.push(`  - ${row.vendor}: one request did ${row.probe} (bare: ${row.baselineProbe}); rep req/s ${row.sandbox.reps.map(f1).join(' / ')} vs bare ${row.baseline.reps.map(f1).join(' / ')}${bad ? `; ${bad} non-2xx or errors!` : ''}`);
      }
    }
    out.push('');
  }

  if (PARTS.has('latency')) {
    out.push('Cora 500-row upsert at 1 connection:', '', '| db | req/s | p50 ms | p99 ms |', '|---|---:|---:|---:|');
    const lat: Record<string, LoadResult> = {};
    // --quick: one database is enough to show the part runs.
    for (const mode of QUICK ? DB_MODES.slice(0, 1) : DB_MODES) {
      lat[mode] = await coraLatency(mode);
      out.push(`| ${mode} | ${f1(lat[mode]!.rps)} | ${lat[mode]!.p50} | ${lat[mode]!.p99} |`);
    }
    report.latency = lat;
    out.push('');
  }

  if (PARTS.has('startup')) {
    out.push(`Start-up to the first 200 from GET /_sandbox/health (${args.server === 'src' ? 'tsx loader' : 'built JavaScript'}, median of ${PLAN.startups}):`, '');
    const startup: Record<string, number[]> = {};
    for (const mode of QUICK ? DB_MODES.slice(0, 1) : DB_MODES) {
      startup[mode] = await startupMs(mode);
      out.push(`- ${mode === 'memory' ? ':memory:' : 'new file'}: ${f0(median(startup[mode]!))} ms (runs: ${startup[mode]!.map(f0).join(', ')})`);
    }
    report.startup = startup;
    out.push('');
  }

  if (PARTS.has('scale')) {
    out.push('Scale: Cora 500-row upsert at 1 connection on a file database already holding N accounts of the same organization:', '');
    out.push('| accounts stored | seeded in s | req/s | p50 ms | p99 ms | p50 vs empty |', '|---:|---:|---:|---:|---:|---:|');
    const steps = [];
    for (const count of PLAN.scale) {
      log(`scale ${count}`);
      const step = await scaleStep(count);
      steps.push(step);
      const ratio = step.p50 / steps[0]!.p50;
      out.push(`| ${f0(count)} | ${f1(step.seedS)} | ${f1(step.rps)} | ${step.p50} | ${step.p99} | ${ratio === 1 ? '-' : `${ratio >= 1 ? '+' : ''}${((ratio - 1) * 100).toFixed(0)}%`} |`);
    }
    report.scale = steps;
    out.push('');
  }

  if (PARTS.has('postgres')) {
    const bin = findPgBin();
    if (!bin) {
      const warning = 'PostgreSQL part SKIPPED: no PostgreSQL server programs here (apt-get install postgresql, or set PG_BIN).';
      log(warning);
      out.push(warning, '');
    } else {
      log('postgres');
      const r = await postgresSuite(bin);
      report.postgres = r;
      const pct = (n: number) => `${(n * 100).toFixed(0)}%`;
      out.push(
        `Shared mode: each vendor's maximum batch on PostgreSQL ${r.version} (one sandbox process; pages fsynced, commits not waited for, as SQLite's WAL with synchronous=NORMAL) ` +
          `against a SQLite file and against the bare baseline on the same PostgreSQL (Hono + pg, the same transaction's four round trips, no validation, journal, ` +
          `auth or rate limit: the ceiling), interleaved, ${PLAN.connections} connections, ${PLAN.reps} × ${PLAN.durationS} s (medians):`,
        '',
        '| endpoint | rows/req | req/s | rows/s | p50 ms | p99 ms | SQLite file rows/s | PostgreSQL / file | bare PostgreSQL rows/s | PostgreSQL / bare | bare / file | ' +
          'round trips per request: one probe, under load | sandbox CPU ms/req | PostgreSQL CPU ms/req | bare CPU ms/req | bare\'s PostgreSQL CPU ms/req |',
        '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
        ...r.engines.map(
          (e) =>
            `| ${e.vendor} | ${e.batch} | ${f1(e.postgres.rps)} | ${f0(e.postgres.rps * e.batch)} | ${e.postgres.p50} | ${e.postgres.p99} | ${f0(e.file.rps * e.batch)} | ` +
            `${pct(e.postgres.rps / e.file.rps)} | ${f0(e.bare.rps * e.batch)} | ${pct(e.postgres.rps / e.bare.rps)} | ${pct(e.bare.rps / e.file.rps)} | ` +
            `${e.probeTrips}, ${f1(e.tripsPerRequest)} | ${f1(e.postgres.cpuMs)} | ${f1(e.clusterCpuMs)} | ${f1(e.bare.cpuMs)} | ${f1(e.bareClusterCpuMs)} |`,
        ),
        '',
        ...r.engines.map((e) => {
          const bad = e.postgres.non2xx + e.postgres.errors + e.file.non2xx + e.file.errors + e.bare.non2xx + e.bare.errors;
          return (
            `- ${e.vendor}: one request did ${e.probe} (file: ${e.fileProbe}; bare: ${e.bareProbe}); rep req/s ${e.postgres.reps.map(f1).join(' / ')} ` +
            `vs file ${e.file.reps.map(f1).join(' / ')} vs bare ${e.bare.reps.map(f1).join(' / ')}${bad ? `; ${bad} non-2xx or errors!` : ''}`
          );
        }),
        '',
      );
      if (r.replicas) {
        const { one, two, cores, batch } = r.replicas;
        const busy = (b: Record<string, number>) => Object.values(b).reduce((s, n) => s + n, 0);
        const row = (n: number, x: typeof one) =>
          `| ${n} | ${f1(x.rps)} | ${f0(x.rps * batch)} | ${x.p50} | ${x.p99} | ${pct(x.busy.sandbox!)} | ${pct(x.busy.postgres!)} | ${pct(x.busy.generator!)} | ${pct(busy(x.busy))} |`;
        const total = busy(two.busy);
        out.push(
          `Replicas: Cora ${r.replicas.batch}-row upserts spread over ${r.replicas.namespaces} namespaces, ${PLAN.connections} connections in all, on one PostgreSQL database; ` +
            `one sandbox process against two, interleaved (p50 and p99: the worse process's; busy: share of the machine's ${cores} cores):`,
          '',
          '| processes | req/s | rows/s | p50 ms | p99 ms | busy: sandbox | busy: PostgreSQL | busy: load generator | busy: all |',
          '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
          row(1, one),
          row(2, two),
          '',
          `Two processes serve ${pct(two.rps / one.rps)} of one's throughput. Bottleneck: ` +
            (total >= 0.9
              ? `the ${cores} cores, ${pct(total)} busy with two processes (sandbox ${pct(two.busy.sandbox!)}, PostgreSQL ${pct(two.busy.postgres!)}, load generator ${pct(two.busy.generator!)}).`
              : `not the cores (${pct(total)} busy with two processes): requests wait on locks or the disk.`),
          '',
        );
      }
    }
  }

  if (PARTS.has('prism') && args.prism) {
    log('prism');
    const r = await prismSuite(args.prism);
    report.prism = r;
    out.push(
      `Cora 500-row bodies, ${PLAN.connections} connections, sandbox on :memory: against Prism mocking specs/cora.openapi.json (quietened, --errors; it stores nothing), interleaved, ${PLAN.reps} × ${PLAN.durationS} s (medians):`,
      '',
      '| server | req/s | p50 ms | p99 ms | CPU ms/req | peak RSS MiB |',
      '|---|---:|---:|---:|---:|---:|',
      ...(['sandbox', 'prism'] as const).map((k) => `| ${k} | ${f1(r[k].rps)} | ${r[k].p50} | ${r[k].p99} | ${f1(r[k].cpuMs)} | ${f0(r[k].peak)} |`),
      '',
      `Sandbox / Prism requests/s: ${((r.sandbox.rps / r.prism.rps) * 100).toFixed(0)}%. Prism: start-up to its first 200 ${f0(r.startupMs)} ms; an invalid body got ${r.invalidStatus}.`,
      '',
      `Validation floor: decoding, parsing and zod-checking one 500-row Cora body takes ${r.floorMs.toFixed(2)} ms of CPU in the bench process (median of 200), before any read or write; Prism's whole request takes ${f1(r.prism.cpuMs)} ms.`,
      '',
    );
  }

  const load2 = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  out.push(`Run ${started.toISOString()}, ${((Date.now() - started.getTime()) / 1000).toFixed(0)} s, node ${process.version}, load average before ${load1}, after ${load2}.`);
  report.loadavgAfter = load2;
  console.log(out.join('\n'));
  if (args.json) writeFileSync(args.json, JSON.stringify(report, null, 2));
}

main()
  .catch((error) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => rmSync(tmp, { recursive: true, force: true }));
