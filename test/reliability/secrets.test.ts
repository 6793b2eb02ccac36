// No secret (API key, HMAC secret, client secret, token) ever shows in the journal, control views or error bodies.
import { describe, expect, it } from 'vitest';
import { call, useSandbox } from '../helpers.js';
import { bulk as coraBulk, getAccount, newAccount } from '../clients/cora.js';
import { propelCall, requestToken } from '../clients/propel.js';
import { copper } from '../clients/copper.js';
import { mc } from '../clients/mailingcore.js';

const sandbox = useSandbox();
const SECRETS = ['demo_secret', 'wrong-secret-abc', 'copper_demo_token', 'mc_test_demo', 'mc_test_wrongkey'];

describe('secrets', () => {
  it('never appear in the journal, credentials, rate-limit buckets, snapshots of the journal, or error bodies', async () => {
    const bodies: string[] = [];
    const keep = async (p: Promise<{ text: string }>) => bodies.push((await p).text);
    await keep(coraBulk(sandbox(), { accounts: [newAccount('S1')] }));
    await keep(getAccount(sandbox(), 'S1', 'cora_org_demo.wrong-secret-abc'));
    const issued = await requestToken(sandbox());
    const propelToken = issued.body.access_token as string;
    await keep(propelCall(sandbox(), 'POST', '/contacts/bulk/id', { contacts: [{ id: 1, firstName: 'A' }] }, { token: propelToken }));
    await keep(call(sandbox(), '/propel/oauth2/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&client_id=demo_client&client_secret=wrong-secret-abc',
    }));
    await keep(copper(sandbox(), '/people', { name: 'A B' }));
    await keep(copper(sandbox(), '/people/1', undefined, { as: { token: 'wrong-secret-abc', email: 'demo@example.com' } }));
    await keep(mc(sandbox(), 'PUT', '/contacts', { email: 'a@example.com' }));
    await keep(mc(sandbox(), 'GET', '/contacts', undefined, { key: 'mc_test_wrongkey' }));

    const views = [
      (await call(sandbox(), '/_sandbox/requests?limit=1000')).text,
      (await call(sandbox(), '/_sandbox/credentials')).text,
      (await call(sandbox(), '/_sandbox/rate-limits')).text,
      (await call(sandbox(), '/_sandbox/coverage')).text,
    ];
    expect(views[0]).toContain('/external-api/accounts/bulk-upsert');
    for (const text of [...views, ...bodies]) {
      for (const secret of [...SECRETS, propelToken]) expect(text).not.toContain(secret);
    }
  });
});
