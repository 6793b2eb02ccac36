// The MailingCore vendor module: everything the core needs to mount, document, list and seed MailingCore.
import { z } from 'zod';
import { seedThroughEngine } from '../../core/bulk.js';
import type { VendorModule } from '../../core/vendor.js';
import { DEMO_API_KEY, mailingcoreCredentials, tenantHeaderMode } from './auth.js';
import { mailingcoreCatalogue, type McErrorName, type McRowErrorName } from './errors.js';
import { mailingcoreRoutes } from './routes.js';
import { MailingCoreCampaign, MailingCoreContact, MailingCoreContactInput } from './schemas.js';
import { CAMPAIGNS_TABLE, CONTACTS_TABLE, MAILINGCORE_MIGRATIONS, MailingCoreStore, SEQUENCES_TABLE } from './store.js';
import { mailingcoreBulkEngine, newContactId, type McRowResult } from './upsert.js';
import { issueMessage } from './validation.js';

export const mailingcore: VendorModule<McErrorName, McRowErrorName> = {
  name: 'mailingcore',
  title: 'MailingCore contacts API',
  prefix: '/mailingcore',
  migrations: MAILINGCORE_MIGRATIONS,
  tables: [CONTACTS_TABLE, CAMPAIGNS_TABLE, SEQUENCES_TABLE],
  errors: mailingcoreCatalogue,
  credentials: mailingcoreCredentials,
  // Strict: stored contacts and campaigns have exactly the fields the vendor returns.
  storedShapes: { [CONTACTS_TABLE]: MailingCoreContact.strict(), [CAMPAIGNS_TABLE]: MailingCoreCampaign.strict() },
  openapi: {
    version: '1.0.0',
    description:
      "bulk-sandbox emulation of MailingCore's contacts API: bulk import, single upsert, listing with incremental `updatedSince` sync, and campaign locale coverage. " +
      'Every request needs a scoped API key and the `X-Tenant-Id` header; every answer after the key check carries `X-RateLimit-*` headers (300 requests per minute per key).',
    securitySchemes: {
      mailingcoreApiKey: { type: 'http', scheme: 'bearer', description: 'API key `mc_live_...` or `mc_test_...`, with scopes' },
    },
    tags: {
      contacts: "The tenant's contacts: bulk import, single upsert, list (pages or `updatedSince` cursor), fetch, change and delete one.",
      campaigns: 'Campaigns with an audience filter and template locales, and their locale coverage.',
    },
    demoAuth: { mailingcoreApiKey: DEMO_API_KEY },
  },
  create(deps) {
    tenantHeaderMode(deps);
    const contacts = new MailingCoreStore(deps.store);
    const engine = mailingcoreBulkEngine(contacts, () => newContactId(deps));
    return {
      routes: mailingcoreRoutes(deps, contacts, engine),
      listRecords: (filter) => contacts.list(filter),
      async seedRecords(scope, records) {
        // Fixtures take the bulk import's item shape and rules, without its 1000 cap.
        const parsed = z.array(MailingCoreContactInput).safeParse(records, { reportInput: true });
        if (!parsed.success) {
          return { loaded: 0, issues: parsed.error.issues.map((issue) => issueMessage({ ...issue, path: ['contacts', ...issue.path] })) };
        }
        // Then the same engine as a bulk import, inside the seed's transaction.
        return seedThroughEngine(deps, engine, scope, { rows: parsed.data }, (element) => {
          const { error } = element as Extract<McRowResult, { status: 'failed' }>;
          return `contacts.${error.index}: ${error.message}`;
        });
      },
    };
  },
};
