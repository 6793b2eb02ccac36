// The Cora vendor module: everything the core needs to mount, document, list and seed Cora.
import { seedThroughEngine } from '../../core/bulk.js';
import type { VendorModule } from '../../core/vendor.js';
import { CORA_SIGNING, coraCredentials, DEMO_API_KEY } from './auth.js';
import { coraBatch, coraBulkEngine, newAccountId } from './bulk-upsert.js';
import { coraCatalogue, type CoraErrorName, type CoraRowErrorName } from './errors.js';
import { coraRoutes } from './routes.js';
import { CoraAccount } from './schemas.js';
import { CORA_MIGRATIONS, CORA_TABLE, CoraAccounts } from './store.js';

export const cora: VendorModule<CoraErrorName, CoraRowErrorName> = {
  name: 'cora',
  title: 'Cora external API (accounts)',
  prefix: '/cora',
  migrations: CORA_MIGRATIONS,
  tables: [CORA_TABLE],
  errors: coraCatalogue,
  credentials: coraCredentials,
  // Strict: a stored account has exactly the fields GET returns.
  storedShapes: { [CORA_TABLE]: CoraAccount.strict() },
  openapi: {
    version: '1.0.0',
    description:
      "bulk-sandbox emulation of Cora's external accounts API. Writes are HMAC-signed; every response carries `success`, `code` and `message`.",
    securitySchemes: {
      coraApiKey: { type: 'http', scheme: 'bearer', description: 'Organization API key `cora_org_<keyId>.<secret>`' },
    },
    tags: { accounts: "The organization's accounts, keyed by the caller's own `externalId`: bulk upsert, fetch one or many, update one." },
    signing: CORA_SIGNING,
    demoAuth: { coraApiKey: DEMO_API_KEY },
  },
  create(deps) {
    const accounts = new CoraAccounts(deps.store);
    const engine = coraBulkEngine(accounts, () => newAccountId(deps));
    return {
      routes: coraRoutes(deps, accounts, engine),
      listRecords: (filter) => accounts.list(filter),
      seedRecords(scope, records) {
        // Fixtures go through the same engine as a bulk upsert, inside the seed's transaction.
        const batch = coraBatch(records, { dryRun: false, includeChanges: false });
        return seedThroughEngine(deps, engine, scope, batch, (e) => `accounts.${e.index}: ${e.message} ${JSON.stringify(e.details)}`);
      },
    };
  },
};

export { signCoraRequest } from './auth.js';
