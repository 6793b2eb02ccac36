// The Copper vendor module: everything the core needs to mount, document, list and seed Copper people.
import { seedThroughEngine } from '../../core/bulk.js';
import type { CoreDeps, VendorModule } from '../../core/vendor.js';
import { APPLICATION, copperCredentials, DEMO_USER } from './auth.js';
import { copperBulkEngine } from './bulk.js';
import { copperCatalogue, type CopperErrorName, type CopperRowReason } from './errors.js';
import type { PersonDefaults } from './people.js';
import { copperRoutes } from './routes.js';
import { CopperActivity, CopperPerson, type CopperBulkFailure } from './schemas.js';
import { ACTIVITIES_TABLE, COPPER_MIGRATIONS, COPPER_TABLES, CopperActivities, CopperPeople, PEOPLE_TABLE } from './store.js';

/** The contact type the vendor's example gives new people; `--vendor-option copper.defaultContactTypeId=N` changes it. */
export const DEFAULT_CONTACT_TYPE_ID = 1074;

/** Reads Copper's vendor options; a bad value stops the app at start rather than at the first request. */
export function copperDefaults(deps: Pick<CoreDeps, 'vendorOptions'>): PersonDefaults {
  const raw = deps.vendorOptions.copper?.defaultContactTypeId;
  if (raw === undefined) return { contactTypeId: DEFAULT_CONTACT_TYPE_ID };
  const id = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(id)) throw new Error(`copper.defaultContactTypeId must be a positive integer, got ${raw}`);
  return { contactTypeId: id };
}

export const copper: VendorModule<CopperErrorName, CopperRowReason> = {
  name: 'copper',
  title: 'Copper developer API v1 (people, activities)',
  prefix: '/copper',
  migrations: COPPER_MIGRATIONS,
  tables: COPPER_TABLES,
  errors: copperCatalogue,
  credentials: copperCredentials,
  // Strict: a stored person (activity) has exactly the fields GET /people/{id} (GET /activities/{id}) returns.
  storedShapes: { [PEOPLE_TABLE]: CopperPerson.strict(), [ACTIVITIES_TABLE]: CopperActivity.strict() },
  openapi: {
    version: '1.0.0',
    description:
      "bulk-sandbox emulation of Copper's developer API v1 for people: bulk create and update (10 per request, per-object results), single-record calls, search, and the people's activities. Every call sends X-PW-AccessToken, X-PW-Application: developer_api and X-PW-UserEmail.",
    securitySchemes: {
      copperAccessToken: { type: 'apiKey', in: 'header', name: 'X-PW-AccessToken', description: 'The API token' },
      copperApplication: { type: 'apiKey', in: 'header', name: 'X-PW-Application', description: 'Always `developer_api`' },
      copperUserEmail: { type: 'apiKey', in: 'header', name: 'X-PW-UserEmail', description: "The token owner's email" },
    },
    tags: {
      people: 'People (contacts): bulk create and update, single create, fetch, update and delete, fetch by email, search.',
      activities: "Activities logged on a person (notes, calls, meetings): log one, fetch one, list a person's.",
    },
    demoAuth: { copperAccessToken: DEMO_USER.token, copperApplication: APPLICATION, copperUserEmail: DEMO_USER.email },
  },
  create(deps) {
    const people = new CopperPeople(deps.store);
    const engine = copperBulkEngine(people, copperDefaults(deps));
    return {
      routes: copperRoutes(deps, people, new CopperActivities(deps.store), engine),
      listRecords: (filter) => people.list(filter),
      seedRecords(scope, records) {
        // Fixtures go through the engine of a bulk create (without the 10-object limit), inside the seed's transaction.
        return seedThroughEngine(deps, engine, scope, { mode: 'create', rows: records }, (element, i) => `people.${i}: ${JSON.stringify((element as CopperBulkFailure).message)}`);
      },
    };
  },
};
