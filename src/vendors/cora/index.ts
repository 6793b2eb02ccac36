// The Cora vendor module: everything the core needs to mount, document, list and seed Cora.
import { isoAt } from '../../core/clock.js';
import type { VendorModule } from '../../core/vendor.js';
import { coraCredentials } from './auth.js';
import { bulkUpsert, newAccountId } from './bulk-upsert.js';
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
  },
  create(deps) {
    const accounts = new CoraAccounts(deps.store);
    return {
      routes: coraRoutes(deps, accounts),
      listRecords: (filter) => accounts.list(filter),
      seedRecords(scope, records) {
        // Fixtures go through the same rules as a bulk upsert.
        const { results } = bulkUpsert({ rows: records, dryRun: false, includeChanges: false }, { scope, accounts, now: isoAt(deps.clock), newId: () => newAccountId(deps) });
        const failures = results.filter((r) => r.status === 'failed');
        return {
          loaded: results.length - failures.length,
          issues: failures.map((f) => `accounts.${f.index}: ${f.message} ${JSON.stringify(f.details)}`),
        };
      },
    };
  },
};

export { signCoraRequest } from './auth.js';
