// What the cross-cutting suites need from each vendor, declared in the vendor's own folder (src/vendors/<v>/<v>.testkit.ts) and found here.
/// <reference types="vite/client" />
import type fc from 'fast-check';
import type { SqlDialect } from '../../src/core/store.js';
import type { VendorModule } from '../../src/core/vendor.js';
import type { Sandbox } from '../../src/sandbox.js';
import { VENDORS } from '../../src/vendors/registry.js';
import { testKit as exampleKit } from '../example-vendor/example.testkit.js';
import { example } from '../example-vendor/index.js';
import type { JsonResponse } from '../helpers.js';

/** Where a request goes: the in-process sandbox, or a server process over HTTP (crash safety). */
export interface Server {
  /** `path` includes the vendor prefix. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** The server's clock, for signatures. */
  now(): number;
}

/** A request as a vendor client would send it; `path` is the vendor path, without the prefix. */
export interface VendorRequest {
  method: string;
  path: string;
  /** JSON text, or '' for none. */
  body: string;
}

/** Who probes another tenant's data: the other demo tenant's credentials or the owner's own, plus headers (another namespace's). */
export interface Stranger {
  credentials: 'owner' | 'other';
  headers: Record<string, string>;
}

export interface IsolationProbe {
  name: string;
  /** Statuses that mean "not found / forbidden / not yours" for this probe (a write into one's own tenant counts). */
  denied: number[];
  run(sandbox: Sandbox, as: Stranger): Promise<JsonResponse>;
}

export interface VendorTestKit {
  /** The registered vendor's name (its VendorModule.name). */
  name: string;

  // ---- the bulk endpoint, as the fuzzers, the namespace and request-error tests call it
  /** The demo tenant the kit writes as (records are counted there). */
  tenant: string;
  method: string;
  /** The bulk route's path as the vendor's routes declare it. */
  routePath: string;
  /** A body the bulk route accepts. */
  validBody: fc.Arbitrary<unknown>;
  /** Sends raw text to the bulk route with valid demo credentials, or with the given header overrides. */
  send(sandbox: Sandbox, text: string, headers: Record<string, string>): Promise<JsonResponse>;
  /** Auth headers worth mutating, with their valid values. */
  authHeaders(sandbox: Sandbox): Promise<Record<string, string>>;
  /** How many new records a bulk answer says were written. */
  created(res: Pick<JsonResponse, 'status' | 'body'>): number;
  /** What the bulk route's invalid-body error says of a number JSON cannot carry (1e400) at `pointer`; default the core's message. */
  numberOutOfRangeSays?: (pointer: string) => string;

  /** The headers a real client sends with the demo credentials for `request` (signed, or with a fresh token). */
  clientAuth(server: Server, request: VendorRequest): Promise<Record<string, string>>;

  /** OpenAPI replay: path parameters that name one stored record (a row from the control API's listing). */
  pathValues(record: Record<string, unknown>): Record<string, string>;

  /** Isolation: stores the owner's record carrying `marker`; returns how the owner reads it, and every probe of it. */
  isolation(sandbox: Sandbox, marker: string): Promise<{ readOwn(): Promise<JsonResponse>; probes: IsolationProbe[] }>;

  /** Crash safety: a server process is killed mid-load, then its database file is read. The conformance suite writes and reads with these too. */
  crash: {
    /** Rows per write: 25 unless the vendor allows fewer. */
    batchSize: number;
    /** One bulk write whose rows carry these ids ([A-Za-z0-9-]). */
    batch(ids: readonly string[]): VendorRequest;
    /** SQL (one column) listing the ids of every stored row, in the engine's spelling (`sql.jsonText` for a JSON field). */
    storedIds(sql: SqlDialect): string;
    /** A read of one row by its id, and the id its answer carries. */
    read(id: string): VendorRequest & { idOf(body: any): unknown };
  };

  /** Secrets: every way this vendor's credentials travel must stay out of logs, the journal and every view. */
  secrets: {
    /** Secrets the sandbox knows or the traffic presents (demo, wrong, created, seeded). */
    known: string[];
    /** A credential for POST /_sandbox/credentials (without `vendor`); its secret is in `known`. */
    created: Record<string, unknown>;
    /** A credential for POST /_sandbox/seed; its secret is in `known`. */
    seeded: Record<string, unknown>;
    /**
     * Calls with good and wrong credentials, the created and the seeded ones, refused credentials, and
     * the given query string and body (carrying secrets) with and without credentials. Returns every
     * response and the secrets the sandbox issued (tokens).
     */
    traffic(sandbox: Sandbox, leak: { query: string; body: unknown }): Promise<{ responses: JsonResponse[]; issued: string[] }>;
  };

  /** Control fuzzer and conformance: valid values for the control routes that take this vendor's credentials and records. */
  control: {
    /** A credential POST /_sandbox/seed accepts (with its tenant). */
    credential: fc.Arbitrary<Record<string, unknown>>;
    /** Records POST /_sandbox/seed accepts, by tenant. */
    records: fc.Arbitrary<Record<string, unknown[]>>;
    /** One record POST /_sandbox/seed accepts for `tenant`, new for each id ([A-Za-z0-9-]), that `crash.storedIds` then lists as that id. */
    fixture(id: string): unknown;
    /** A record the vendor's create rules refuse: it rolls the whole seed back. */
    badFixture: unknown;
  };
}

const found = import.meta.glob<{ testKit: VendorTestKit }>('../../src/vendors/*/*.testkit.ts', { eager: true });

/** Every kit file found, with the folder it sits in (a kit belongs to its folder's vendor). */
export const KIT_FILES: ReadonlyArray<{ file: string; folder: string; kit: VendorTestKit | undefined }> = Object.entries(found).map(([file, module]) => ({
  file,
  folder: file.split('/').at(-2)!,
  kit: module.testKit,
}));

/** Kits by vendor name: the registered vendors' (found above) and the example vendor's. */
const byName = new Map([...KIT_FILES.flatMap(({ kit }) => (kit ? [[kit.name, kit] as const] : [])), [exampleKit.name, exampleKit] as const]);

/** The kit of a registered vendor or of the example vendor; throws when it has none (test/kit/vendor-kit.test.ts names which). */
export function kitFor(name: string): VendorTestKit {
  const kit = byName.get(name);
  if (!kit) throw new Error(`vendor ${name} has no test kit: add src/vendors/${name}/${name}.testkit.ts exporting testKit`);
  return kit;
}

/** One kit per registered vendor, in the registry's order. A vendor without a kit leaves a gap test/kit/vendor-kit.test.ts reports. */
export const PRODUCT_KITS: readonly VendorTestKit[] = VENDORS.flatMap((v) => (byName.has(v.name) ? [byName.get(v.name)!] : []));

/**
 * The vendors the cross-cutting suites mount: the registry's, and the example vendor built from the
 * kit alone (test/example-vendor, never registered), so the kit's promise is checked on a vendor
 * that copies nothing. Suites that iterate KITS start their sandboxes with `vendors: SUITE_VENDORS`.
 */
export const SUITE_VENDORS: readonly VendorModule[] = [...VENDORS, example];

/** Every kit the cross-cutting suites iterate: the registered vendors', then the example vendor's. */
export const KITS: readonly VendorTestKit[] = [...PRODUCT_KITS, exampleKit];

/** `describe.each` / `it.each` rows: [vendor name, kit]. */
export const KIT_ROWS = KITS.map((kit) => [kit.name, kit] as const);
