// The Propel vendor module: everything the core needs to mount, document, list and seed Propel contacts.
import { seedThroughEngine } from '../../core/bulk.js';
import { SandboxError } from '../../core/errors.js';
import { isPlainObject } from '../../core/json.js';
import type { VendorModule } from '../../core/vendor.js';
import { DEMO_CLIENT, propelCredentials } from './auth.js';
import { propelBulkEngine } from './bulk.js';
import { propelCatalogue, type PropelErrorName, type PropelRowErrorName } from './errors.js';
import { propelRoutes } from './routes.js';
import { propelHeaders } from './headers.js';
import { PropelContact } from './schemas.js';
import { CONTACTS_TABLE, PROPEL_MIGRATIONS, PropelContacts, SEQUENCE_TABLE } from './store.js';
import { checkBulkBody, type PropelBatch } from './validation.js';

export const propel: VendorModule<PropelErrorName, PropelRowErrorName> = {
  name: 'propel',
  title: 'Propel (Propeller Commerce REST v2, contacts)',
  prefix: '/propel',
  migrations: PROPEL_MIGRATIONS,
  tables: [CONTACTS_TABLE, SEQUENCE_TABLE],
  errors: propelCatalogue,
  credentials: propelCredentials,
  // Strict: a stored contact has exactly the fields the read endpoints return.
  storedShapes: { [CONTACTS_TABLE]: PropelContact.strict() },
  // Not credentials: a bulk answer's row names its lookup value and key (`"key": 25492, "lookupKey": "id"`), and the token answer its kind (`"token_type": "Bearer"`).
  shownResponseFields: ['key', 'lookupKey', 'token_type'],
  openapi: {
    version: '2.0.0',
    description:
      "bulk-sandbox emulation of Propel's contacts API (Propeller Commerce REST v2): OAuth 2.0 client credentials, bulk upsert by id or by sourceId, and read/update/delete of one contact. Every response carries `return-format` and `x-request-id`.",
    securitySchemes: {
      propelOAuth2: {
        type: 'oauth2',
        description: 'Client credentials; send the token as `Authorization: Bearer <access_token>`. Tokens last 1800 seconds.',
        flows: { clientCredentials: { tokenUrl: '/propel/oauth2/token', scopes: { profile: 'The only scope Propel grants' } } },
      },
      propelClientBasic: {
        type: 'http',
        scheme: 'basic',
        description: 'The token request only: `client_id:client_secret` as HTTP Basic, instead of both in the form body.',
      },
    },
    tags: {
      auth: 'OAuth 2.0 client credentials: the Bearer token every other call needs.',
      contacts: 'Contacts, by Propel `id` or by `sourceId` + `source` + `language`: bulk create or update, fetch, update and delete one.',
    },
    demoAuth: { propelOAuth2: { clientId: DEMO_CLIENT.clientId, clientSecret: DEMO_CLIENT.clientSecret } },
  },
  create(deps) {
    const contacts = new PropelContacts(deps.store);
    const engine = propelBulkEngine(contacts);
    return {
      routes: propelRoutes(deps, contacts, engine),
      // Every response carries the two headers, the router's own 404s and faked errors included.
      middleware: [propelHeaders(deps.ids)],
      listRecords: (filter) => contacts.list(filter),
      async seedRecords(scope, records) {
        // A fixture with an `id` follows bulk/id, one without follows bulk/sourceId: the same
        // checks and the same engine as a real request, inside the seed's transaction.
        const batches: PropelBatch[] = [];
        const issues: string[] = [];
        const withId = records.filter((r) => isPlainObject(r) && Object.hasOwn(r, 'id'));
        const withoutId = records.filter((r) => !(isPlainObject(r) && Object.hasOwn(r, 'id')));
        for (const [lookupKey, rows] of [['id', withId], ['sourceId', withoutId]] as const) {
          if (rows.length === 0) continue;
          try {
            batches.push(checkBulkBody({ contacts: rows }, lookupKey));
          } catch (error) {
            if (!(error instanceof SandboxError)) throw error;
            const messages = error.extra.messages;
            issues.push(...(Array.isArray(messages) ? messages.map((m) => `${lookupKey} fixtures ${String(m)}`) : [`${lookupKey} fixtures: ${error.message}`]));
          }
        }
        if (issues.length > 0) return { loaded: 0, issues };
        let loaded = 0;
        for (const batch of batches) {
          const outcome = await seedThroughEngine(deps, engine, scope, batch, (element, i) => `${batch.lookupKey} fixtures #/contacts/${i}: ${element.error}`);
          loaded += outcome.loaded;
          issues.push(...outcome.issues);
        }
        return { loaded, issues };
      },
    };
  },
};
