// Realistic bulk bodies per vendor: half new keys, a quarter changed and a quarter unchanged existing keys per request.
import { signCoraRequest } from '../src/vendors/cora/auth.js';

/** One request ready to send: path, headers and the exact body bytes. */
export interface BenchRequest {
  method: 'POST';
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** What the bench needs from a vendor: the rows it seeds, and a fresh request each call. */
export interface VendorWorkload {
  vendor: string;
  /** Rows per request at the vendor's maximum batch. */
  batch: number;
  /** The key field the baseline server looks rows up by, and the body's array field. */
  baseline: { array: string; key: string };
  /** Requests that pre-seed the existing keys (each at most `batch` rows). */
  seedRequests(): BenchRequest[];
  /** The next request of the load: new keys every time, and existing keys from rotating pools. */
  next(): BenchRequest;
  /** The outcome counts one request should produce, to check the server did the real work. */
  expected: string;
}

/**
 * How many batches' worth of existing keys each pool holds: rotating keeps concurrent requests
 * on disjoint keys. `--quick` lowers it to seed less.
 */
let POOL_ROTATIONS = 16;
export const setPoolRotations = (n: number): void => {
  POOL_ROTATIONS = n;
};

export const CORA_KEY = 'cora_org_demo.demo_secret';
const CORA_PATH = '/external-api/accounts/bulk-upsert';

/** Everything every vendor's bench rows share: a run tag keeps keys unique across runs on one database. */
interface Keys {
  tag: string;
  /** Sends so far: makes new keys and changed values unique. */
  sent: number;
}

const json = { 'content-type': 'application/json' };

/**
 * Rows of a request of `batch` rows: even indexes new, `i % 4 === 1` a changed existing key,
 * `i % 4 === 3` an existing key sent exactly as seeded (unchanged).
 */
function mix<T>(
  batch: number,
  keys: Keys,
  row: { fresh(n: number): T; changed(k: number, value: number): T; unchanged(k: number): T },
): T[] {
  const r = keys.sent++;
  const quarter = batch / 4;
  const pool = quarter * POOL_ROTATIONS;
  const out: T[] = new Array(batch);
  for (let i = 0; i < batch; i++) {
    if (i % 2 === 0) out[i] = row.fresh(r * (batch / 2) + i / 2);
    else if (i % 4 === 1) out[i] = row.changed((r * quarter + (i >> 2)) % pool, r * batch + i);
    else out[i] = row.unchanged((r * quarter + (i >> 2)) % pool);
  }
  return out;
}

function seedBatches<T>(count: number, batch: number, make: (k: number) => T): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < count; start += batch) out.push(Array.from({ length: Math.min(batch, count - start) }, (_, j) => make(start + j)));
  return out;
}

// ---- Cora: 500 accounts, HMAC-signed -----------------------------------------------------

function coraAccount(externalId: string, n: number): Record<string, unknown> {
  return {
    externalId,
    phoneNumber: `+1555${String(1_000_000 + (n % 9_000_000)).padStart(7, '0')}`,
    portfolioId: 'PORTFOLIO_BENCH',
    bucket: 'BUCKET_A',
    status: 'ACTIVE',
    metadata: { filenumber: externalId, externalApiSyncState: 'SYNCED', score: n % 997 },
    person: { name: { first: `First${n}`, last: `Last${n}` }, birthdate: '1980-01-01' },
    emailAddress: `person${n}@example.com`,
    address: { street: `${n} Main St`, city: 'Savannah', state: 'GA', zip: '31410', country: 'US' },
    typeOfDebt: 'CREDIT_CARD',
    currentBalance: (n % 100_000) / 4,
    tags: ['bench', `t${n % 7}`],
  };
}

export function signedCoraRequest(body: string, timestamp = Math.floor(Date.now() / 1000)): BenchRequest {
  const signature = signCoraRequest({ apiKey: CORA_KEY, timestamp, method: 'POST', pathWithQuery: CORA_PATH, body });
  return {
    method: 'POST',
    path: `/cora${CORA_PATH}`,
    headers: { ...json, authorization: `Bearer ${CORA_KEY}`, 'x-cora-timestamp': String(timestamp), 'x-cora-signature': signature },
    body,
  };
}

export function coraWorkload(tag: string, batch = 500): VendorWorkload {
  const keys: Keys = { tag, sent: 0 };
  const pool = (batch / 4) * POOL_ROTATIONS;
  // Unchanged rows are sent exactly as seeded; their JSON is built once.
  const unchanged = Array.from({ length: pool }, (_, k) => JSON.stringify(coraAccount(`${tag}-u-${k}`, k)));
  return {
    vendor: 'cora',
    batch,
    baseline: { array: 'accounts', key: 'externalId' },
    expected: `created ${batch / 2}, updated ${batch / 4}, unchanged ${batch / 4}`,
    seedRequests: () =>
      [
        ...seedBatches(pool, batch, (k) => coraAccount(`${tag}-u-${k}`, k)),
        ...seedBatches(pool, batch, (k) => coraAccount(`${tag}-c-${k}`, k)),
      ].map((accounts) => signedCoraRequest(JSON.stringify({ accounts }))),
    next() {
      const rows = mix<string>(batch, keys, {
        fresh: (n) => JSON.stringify(coraAccount(`${tag}-n-${n}`, n)),
        changed: (k, v) => JSON.stringify({ externalId: `${tag}-c-${k}`, currentBalance: v + 0.5, metadata: { externalApiSyncState: `S${v}` } }),
        unchanged: (k) => unchanged[k]!,
      });
      return signedCoraRequest(`{"accounts":[${rows.join(',')}]}`);
    },
  };
}

// ---- Propel: 1000 contacts by id, OAuth bearer --------------------------------------------

function propelContact(id: number, n: number): Record<string, unknown> {
  return {
    id,
    firstName: `First${n}`,
    lastName: `Last${n}`,
    email: `contact${n}@example.com`,
    phone: `+3120${String(n).padStart(7, '0')}`,
    gender: n % 2 ? 'F' : 'M',
    dateOfBirth: '1980-01-01',
    language: 'NL',
  };
}

/** Propel ids are ints: existing pools below 10^8, new ids above, one range per run tag. */
export function propelWorkload(tag: string, token: string, batch = 1000): VendorWorkload {
  const keys: Keys = { tag, sent: 0 };
  const pool = (batch / 4) * POOL_ROTATIONS;
  const base = 1 + (hash(tag) % 20) * 100_000_000;
  const unchangedId = (k: number) => base + k;
  const changedId = (k: number) => base + pool + k;
  const freshId = (n: number) => base + 10_000_000 + n;
  const unchanged = Array.from({ length: pool }, (_, k) => JSON.stringify(propelContact(unchangedId(k), k)));
  const request = (body: string): BenchRequest => ({ method: 'POST', path: '/propel/v2/contacts/bulk/id', headers: { ...json, authorization: `Bearer ${token}` }, body });
  return {
    vendor: 'propel',
    batch,
    baseline: { array: 'contacts', key: 'id' },
    expected: `${batch / 2} create, ${batch / 2} update (half of them no-ops)`,
    seedRequests: () =>
      [...seedBatches(pool, batch, (k) => propelContact(unchangedId(k), k)), ...seedBatches(pool, batch, (k) => propelContact(changedId(k), k))].map(
        (contacts) => request(JSON.stringify({ contacts })),
      ),
    next() {
      const rows = mix<string>(batch, keys, {
        fresh: (n) => JSON.stringify(propelContact(freshId(n), n)),
        changed: (k, v) => JSON.stringify({ id: changedId(k), middleName: `M${v}` }),
        unchanged: (k) => unchanged[k]!,
      });
      return request(`{"contacts":[${rows.join(',')}]}`);
    },
  };
}

// ---- Copper: 10 people; bulk_create and bulk_update alternate ------------------------------

const COPPER_HEADERS = { ...json, 'x-pw-accesstoken': 'copper_demo_token', 'x-pw-application': 'developer_api', 'x-pw-useremail': 'demo@example.com' };
const COPPER_ROOT = '/copper/developer_api/v1/people';

function copperPerson(tag: string, n: number): Record<string, unknown> {
  return {
    name: `First${n} Middle Last${n}`,
    title: 'Buyer',
    emails: [{ email: `${tag}.p${n}@example.com`, category: 'work' }],
    phone_numbers: [{ number: `415-555-${String(n % 10_000).padStart(4, '0')}`, category: 'mobile' }],
    address: { street: `${n} Main Street`, city: 'Savannah', state: 'Georgia', postal_code: '31410', country: 'United States' },
    tags: ['bench'],
  };
}

/**
 * Copper has no upsert: creates go to bulk_create and updates to bulk_update by the ids the
 * seed got back. Requests alternate, so over two requests the mix is the other vendors'.
 * `firstId` is the id the seed's first person gets (ids are a sequence per account and namespace).
 */
export function copperWorkload(tag: string, batch = 10, firstId = 1): VendorWorkload {
  const keys: Keys = { tag, sent: 0 };
  const pool = batch * POOL_ROTATIONS;
  // The seed creates the unchanged pool first, then the changed pool: ids follow in order.
  const unchangedId = (k: number) => firstId + k;
  const changedId = (k: number) => firstId + pool + k;
  const unchangedBody = Array.from({ length: pool }, (_, k) => JSON.stringify({ id: unchangedId(k), ...copperPerson(tag, k) }));
  let turn = 0;
  let fresh = 0;
  const request = (mode: string, body: string): BenchRequest => ({ method: 'POST', path: `${COPPER_ROOT}/bulk_${mode}`, headers: COPPER_HEADERS, body });
  return {
    vendor: 'copper',
    batch,
    baseline: { array: 'people', key: 'id' },
    expected: `alternately ${batch} created, then ${batch / 2} updated + ${batch / 2} unchanged`,
    seedRequests: () =>
      [...seedBatches(pool, batch, (k) => copperPerson(tag, k)), ...seedBatches(pool, batch, (k) => copperPerson(`${tag}c`, k))].map((people) =>
        request('create', JSON.stringify({ people })),
      ),
    next() {
      const r = keys.sent++;
      if (turn++ % 2 === 0) {
        const rows: string[] = [];
        for (let i = 0; i < batch; i++) rows.push(JSON.stringify(copperPerson(`${tag}n`, fresh++)));
        return request('create', `{"people":[${rows.join(',')}]}`);
      }
      const rows: string[] = [];
      for (let i = 0; i < batch; i++) {
        const k = (r * (batch / 2) + (i >> 1)) % pool;
        rows.push(i % 2 === 0 ? JSON.stringify({ id: changedId(k), details: `note ${r}-${i}` }) : unchangedBody[k]!);
      }
      return request('update', `{"people":[${rows.join(',')}]}`);
    },
  };
}

// ---- MailingCore: 1000 contacts by externalId, Bearer + X-Tenant-Id -----------------------

const MC_HEADERS = { ...json, authorization: 'Bearer mc_test_demo', 'x-tenant-id': 'tenant_demo' };
const LOCALES = ['en', 'es', 'fr', 'de', 'it', 'ca'];

function mcContact(externalId: string, n: number): Record<string, unknown> {
  return {
    email: `${externalId}@example.com`,
    externalId,
    locale: LOCALES[n % LOCALES.length],
    optIn: n % 3 !== 0,
    attributes: { firstName: `First${n}`, plan: n % 2 ? 'pro' : 'free' },
    source: 'bench',
  };
}

export function mailingcoreWorkload(tag: string, batch = 1000): VendorWorkload {
  const keys: Keys = { tag, sent: 0 };
  const pool = (batch / 4) * POOL_ROTATIONS;
  const unchanged = Array.from({ length: pool }, (_, k) => JSON.stringify(mcContact(`${tag}-u-${k}`, k)));
  const request = (body: string): BenchRequest => ({ method: 'POST', path: '/mailingcore/contacts/bulk', headers: MC_HEADERS, body });
  return {
    vendor: 'mailingcore',
    batch,
    baseline: { array: 'contacts', key: 'externalId' },
    expected: `created ${batch / 2}, updated ${batch / 2} (half of them no-ops)`,
    seedRequests: () =>
      [...seedBatches(pool, batch, (k) => mcContact(`${tag}-u-${k}`, k)), ...seedBatches(pool, batch, (k) => mcContact(`${tag}-c-${k}`, k))].map(
        (contacts) => request(JSON.stringify({ contacts })),
      ),
    next() {
      const rows = mix<string>(batch, keys, {
        fresh: (n) => JSON.stringify(mcContact(`${tag}-n-${n}`, n)),
        changed: (k, v) => JSON.stringify({ email: `${tag}-c-${k}@example.com`, externalId: `${tag}-c-${k}`, source: `s${v}` }),
        unchanged: (k) => unchanged[k]!,
      });
      return request(`{"contacts":[${rows.join(',')}]}`);
    },
  };
}

/** A small stable hash of a string, for id ranges. */
function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  return h;
}
