// What the vendor kit promises, proved for every kit (the example vendor built from the kit alone included): journal, faults, coverage, metrics, OpenAPI, docs, namespaces, reset, snapshot, seed.
import { describe, expect, it } from 'vitest';
import { documentedErrors } from '../../src/core/errors.js';
import { call, json, useSandbox, type JsonResponse } from '../helpers.js';
import { storeCallsDuring } from '../store-calls.js';
import { KIT_ROWS, SUITE_VENDORS, type VendorRequest } from './vendor-kit.js';

const sandbox = useSandbox({ rateLimits: 'off', vendors: SUITE_VENDORS });
const NS = 'conformance-ns';

/** One sample of the Prometheus text, by `name{labels}` exactly as exposed; undefined when absent. */
async function metric(series: string): Promise<number | undefined> {
  const line = (await call(sandbox(), '/_sandbox/metrics')).text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe.each(KIT_ROWS)('%s keeps the kit’s promise', (name, kit) => {
  const vendor = SUITE_VENDORS.find((v) => v.name === name)!;
  const catalogue = vendor.errors;

  /** A kit request (a bulk write or a read of one record) as the vendor's own client sends it, with the demo credentials. */
  async function send(request: VendorRequest, namespace?: string): Promise<JsonResponse> {
    const sb = sandbox();
    const auth = await kit.clientAuth({ fetch: (path, init) => sb.fetch(path, init), now: () => sb.clock.now() }, request);
    const headers: Record<string, string> = { ...auth, ...(namespace !== undefined ? { 'x-sandbox-namespace': namespace } : {}) };
    if (request.body !== '') headers['content-type'] = 'application/json';
    return call(sb, `${vendor.prefix}${request.path}`, { method: request.method, headers, ...(request.body !== '' ? { body: request.body } : {}) });
  }
  /** One bulk write of new records carrying `ids`. */
  const write = (ids: string[], namespace?: string) => send(kit.crash.batch(ids), namespace);
  /** Reads the record carrying `id` through the vendor's own API: the id its answer carries, or undefined. */
  async function readBack(id: string, namespace?: string): Promise<unknown> {
    const read = kit.crash.read(id);
    const res = await send(read, namespace);
    return res.status < 300 ? read.idOf(res.body) : undefined;
  }
  /** The ids of every stored record (all namespaces and tenants), straight from the store, sorted. */
  const storedIds = async () => {
    const store = sandbox().app.deps.store;
    return (await store.column(kit.crash.storedIds(store.sql))).map(String).sort();
  };
  /** The control API's listing of the vendor's records. */
  const records = async (query = '') => (await call(sandbox(), `/_sandbox/${name}/records?limit=1000${query}`)).body.records as unknown[];
  const coverage = async () => (await sandbox().admin.coverage()).find((v) => v.vendor === name)!;

  it('makes a bounded number of store round trips per bulk request: as many for one row as for a full batch', async () => {
    /** Round trips of one bulk write of new records, its credentials worked out beforehand (a token request is not the write). */
    async function tripsOf(ids: string[]): Promise<number> {
      const request = kit.crash.batch(ids);
      const sb = sandbox();
      const headers = { ...(await kit.clientAuth({ fetch: (path, init) => sb.fetch(path, init), now: () => sb.clock.now() }, request)), 'content-type': 'application/json' };
      const calls = await storeCallsDuring(sb.app.deps.store, async () => {
        const res = await call(sb, `${vendor.prefix}${request.path}`, { method: request.method, headers, body: request.body });
        expect(res.status, res.text).toBeLessThan(300);
        expect(kit.created(res)).toBe(ids.length);
      });
      return calls.length;
    }
    await tripsOf(['Q-warm']);
    const size = kit.crash.batchSize;
    const one = await tripsOf(['Q-one']);
    const full = await tripsOf(Array.from({ length: size }, (_, i) => `Q-full-${i}`));
    expect(size).toBeGreaterThan(1);
    expect(one).toBeGreaterThan(0);
    expect(full, `${size} rows`).toBe(one);
  });

  it('journals the bulk request under its bulk route’s operationId, stores every row, and counts the rows in metrics', async () => {
    const batch = kit.crash.batch(['J0', 'J1', 'J2']);
    const res = await send(batch);
    expect(res.status, res.text).toBeLessThan(300);
    expect(kit.created(res)).toBe(3);
    expect(await storedIds()).toEqual(['J0', 'J1', 'J2']);

    // Filtered by route: a client may make other calls first (a token request).
    const journal = await sandbox().admin.requests({ vendor: name, method: batch.method, path: batch.path });
    expect(journal).toHaveLength(1);
    expect(journal[0]).toMatchObject({ vendor: name, namespace: '', tenant: kit.tenant, method: batch.method, path: batch.path, status: res.status, error: null, rowErrors: [], fault: null });
    expect(journal[0]!.requestBody).toEqual(JSON.parse(batch.body));
    const route = sandbox().app.instances[name]!.routes.find((r) => r.operationId === journal[0]!.operationId);
    expect(route?.batchField, `${journal[0]!.operationId} is a bulk route`).toBeDefined();
    expect(await metric(`bulk_sandbox_rows_total{vendor="${name}"}`)).toBe(3);
  });

  it('a rowErrors fault on row 1 fails exactly that row with the vendor’s first row-error code and writes the others; coverage and metrics count it', async () => {
    const code = Object.keys(catalogue.rowErrors)[0]!;
    const batch = kit.crash.batch(['R0', 'R1', 'R2']);
    await sandbox().admin.armFault({ vendor: name, method: batch.method, path: batch.path, rowErrors: { 1: code } });
    const res = await send(batch);
    expect(res.status, res.text).toBeLessThan(300);
    expect(kit.created(res)).toBe(2);
    expect(await storedIds()).toEqual(['R0', 'R2']);
    expect(await records(`&tenant=${kit.tenant}`)).toHaveLength(2);
    const [entry] = await sandbox().admin.requests({ vendor: name, method: batch.method, path: batch.path });
    expect(entry).toMatchObject({ status: res.status, rowErrors: [code], fault: expect.any(String) });
    expect(await readBack('R0')).toBe('R0');
    expect(await readBack('R1')).toBeUndefined();

    expect((await coverage()).rowErrors.filter((r) => r.count > 0)).toEqual([{ code, count: 1 }]);
    expect(await metric(`bulk_sandbox_row_errors_total{vendor="${name}",code="${code}"}`)).toBe(1);
    expect(await metric(`bulk_sandbox_rows_total{vendor="${name}"}`)).toBe(3);
    expect(await sandbox().admin.faults()).toEqual([]);
  });

  it('every request-level error the bulk route documents, armed by name, answers its status in the vendor’s envelope, writes nothing, and coverage counts each; the others are refused', async () => {
    const batch = kit.crash.batch(['E0']);
    const route = sandbox().app.instances[name]!.routes.find((r) => r.method.toUpperCase() === batch.method && r.path === batch.path)!;
    const names = documentedErrors(route.errors, catalogue);
    expect(names.length).toBeGreaterThan(0);
    for (const error of Object.keys(catalogue.errors).filter((e) => !names.includes(e))) {
      const refused = await call(sandbox(), '/_sandbox/faults', { method: 'POST', ...json({ vendor: name, method: batch.method, path: batch.path, error }) });
      expect([refused.status, refused.body.error?.message], error).toEqual([400, expect.stringContaining(`${error} (${catalogue.errors[error]!.status}) is not documented on`)]);
    }
    expect(await sandbox().admin.faults()).toEqual([]);
    for (const error of names) {
      await sandbox().admin.armFault({ vendor: name, method: batch.method, path: batch.path, error });
      const res = await send(batch);
      expect(res.status, error).toBe(catalogue.errors[error]!.status);
      expect(catalogue.envelopeSchema.safeParse(res.body).success, `${error}: ${res.text}`).toBe(true);
    }
    expect(await storedIds()).toEqual([]);
    const journal = await sandbox().admin.requests({ vendor: name, method: batch.method, path: batch.path, limit: 1000 });
    expect(journal.map((e) => e.error).reverse()).toEqual(names);
    const counted = await coverage();
    expect(counted.errors.map((r) => [r.code, r.count])).toEqual(Object.keys(catalogue.errors).map((n) => [n, names.includes(n) ? 1 : 0]));
    expect(counted.produced).toBe(names.length);
    expect(await metric(`bulk_sandbox_faults_fired_total{vendor="${name}"}`)).toBe(names.length);
  });

  it('serves its OpenAPI document listing every route, its bulk routes among them, and /docs lists it', async () => {
    const doc = await call(sandbox(), `${vendor.prefix}/openapi.json`);
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.1.0');
    const routes = sandbox().app.instances[name]!.routes;
    expect(routes.filter((r) => r.batchField !== undefined).length).toBeGreaterThan(0);
    for (const route of routes) {
      const operation = doc.body.paths[route.path.replace(/:(\w+)/g, '{$1}')]?.[route.method];
      expect(operation?.operationId, `${route.method} ${route.path}`).toBe(route.operationId);
      if (route.batchField !== undefined) expect(operation.requestBody, route.operationId).toBeDefined();
    }

    const page = await call(sandbox(), '/docs');
    const config = JSON.parse(/<script type="application\/json" id="docs-config">(.*?)<\/script>/s.exec(page.text)![1]!) as { urls: Array<{ key: string; url: string }> };
    expect(config.urls).toContainEqual(expect.objectContaining({ key: name, url: `${vendor.prefix}/openapi.json` }));
  });

  it('keeps namespaces apart: records written in one are listed and read only there', async () => {
    expect((await write(['N0', 'N1'], NS)).status).toBeLessThan(300);
    expect(await records(`&namespace=${NS}`)).toHaveLength(2);
    expect(await records()).toEqual([]);
    expect(await readBack('N0', NS)).toBe('N0');
    expect(await readBack('N0')).toBeUndefined();
  });

  it('POST /_sandbox/reset for the vendor clears its records (one namespace, then all), and its credentials still work', async () => {
    expect((await write(['D0', 'D1'])).status).toBeLessThan(300);
    expect((await write(['D2'], NS)).status).toBeLessThan(300);
    expect(await sandbox().admin.reset({ vendor: name, namespace: NS })).toEqual({ deleted: 1 });
    expect(await storedIds()).toEqual(['D0', 'D1']);
    expect(await sandbox().admin.reset({ vendor: name })).toEqual({ deleted: 2 });
    expect(await storedIds()).toEqual([]);
    expect(await records()).toEqual([]);
    expect((await write(['D3'])).status).toBeLessThan(300);
    expect(await storedIds()).toEqual(['D3']);
  });

  it('a snapshot export, a reset, then its restore bring the records back as they were', async () => {
    expect((await write(['S0', 'S1'])).status).toBeLessThan(300);
    expect((await write(['S2'], NS)).status).toBeLessThan(300);
    const listed = async () => ({ default: await records(), [NS]: await records(`&namespace=${NS}`) });
    const before = await listed();
    const snapshot = await sandbox().admin.snapshot();
    await sandbox().admin.reset({ vendor: name });
    expect(await storedIds()).toEqual([]);
    await sandbox().admin.restore(snapshot);
    expect(await storedIds()).toEqual(['S0', 'S1', 'S2']);
    expect(await listed()).toEqual(before);
    expect(await readBack('S1')).toBe('S1');
    expect(await readBack('S2', NS)).toBe('S2');
  });

  it('POST /_sandbox/seed loads fixtures through the vendor’s rules, and one bad fixture rolls the whole seed back', async () => {
    const seed = (fixtures: unknown[]) => call(sandbox(), '/_sandbox/seed', { method: 'POST', ...json({ [name]: { records: { [kit.tenant]: fixtures } } }) });
    const loaded = await seed([kit.control.fixture('G0'), kit.control.fixture('G1')]);
    expect(loaded.status, loaded.text).toBe(200);
    expect(loaded.body).toEqual({ credentials: 0, records: 2 });
    expect(await storedIds()).toEqual(['G0', 'G1']);
    expect(await records(`&tenant=${kit.tenant}`)).toHaveLength(2);
    expect(await readBack('G1')).toBe('G1');

    const refused = await seed([kit.control.fixture('G2'), kit.control.badFixture]);
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('INVALID_REQUEST');
    expect(refused.body.error.issues).toEqual([expect.stringMatching(new RegExp(`^${name}\\.records\\.${kit.tenant}: `))]);
    expect(await storedIds()).toEqual(['G0', 'G1']);
  });
});
