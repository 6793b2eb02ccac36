// MailingCore error paths through HTTP: request-level 400s that write nothing, bad bodies and queries, 404s, the envelope.
import { describe, expect, it } from 'vitest';
import { call, T0_ISO, useSandbox } from '../../../test/helpers.js';
import { bulk, contact, DEMO_KEY, DEMO_TENANT, listContacts, mc, putContact, storedContacts } from './mailingcore.client.js';
import { BODY_MESSAGES, DEFAULT_BODY_LIMIT } from '../../core/body.js';
import { MAX_BULK_CONTACTS, MC_MESSAGES } from './errors.js';

const sandbox = useSandbox({ rateLimits: 'off' });
const envelope = (statusCode: number, message: string, path = '/contacts/bulk') => ({ statusCode, message, path, timestamp: T0_ISO });

describe('mailingcore bulk: whole-request 400s write nothing', () => {
  const cases: Array<[string, unknown, string]> = [
    ['an empty contacts array', { contacts: [] }, MC_MESSAGES.contactsRequired],
    ['1001 contacts', { contacts: Array.from({ length: MAX_BULK_CONTACTS + 1 }, (_, i) => contact(`n-${i}`)) }, MC_MESSAGES.contactsLimit],
    ['an invalid email in item 3', { contacts: [contact('a'), contact('b'), contact('c'), contact('d', { email: 'not-an-email' })] }, MC_MESSAGES.email('contacts.3.email')],
    ['a missing email', { contacts: [contact('a'), { externalId: 'b' }] }, MC_MESSAGES.notEmpty('contacts.1.email')],
    ['an unknown locale', { contacts: [contact('a', { locale: 'pt' })] }, MC_MESSAGES.oneOf('contacts.0.locale', ['es', 'en', 'it', 'fr', 'ca', 'de'])],
    ['an externalId over 128 characters', { contacts: [contact('a', { externalId: 'x'.repeat(129) })] }, MC_MESSAGES.maxLength('contacts.0.externalId', 128)],
    ['a source over 64 characters', { contacts: [contact('a', { source: 's'.repeat(65) })] }, MC_MESSAGES.maxLength('contacts.0.source', 64)],
    ['a string optIn', { contacts: [contact('a', { optIn: 'yes' })] }, MC_MESSAGES.boolean('contacts.0.optIn')],
    ['array attributes', { contacts: [contact('a', { attributes: [1] })] }, MC_MESSAGES.mustBeObject('contacts.0.attributes')],
    ['an empty externalId', { contacts: [contact('a', { externalId: '' })] }, MC_MESSAGES.notEmpty('contacts.0.externalId')],
    ['an unknown field', { contacts: [contact('a', { id: 'cl1' })] }, MC_MESSAGES.unknownProperty('contacts.0.id')],
    ['an unknown top-level field', { contacts: [contact('a')], dryRun: true }, MC_MESSAGES.unknownProperty('dryRun')],
    ['an item that is not an object', { contacts: [contact('a'), 'b'] }, MC_MESSAGES.mustBeObject('contacts.1')],
    ['no contacts array', { items: [] }, MC_MESSAGES.notAnArray('contacts')],
    ['a body that is an array', [contact('a')], MC_MESSAGES.notAnObject],
  ];
  for (const [name, body, message] of cases) {
    it(`refuses ${name}`, async () => {
      await bulk(sandbox(), { contacts: [contact('kept', { locale: 'en' })] });
      const before = await storedContacts(sandbox());
      const res = await bulk(sandbox(), body);
      expect(res.status).toBe(400);
      expect(res.body).toEqual(envelope(400, message));
      expect(await storedContacts(sandbox())).toEqual(before);
    });
  }

  it('accepts exactly 1000 contacts', async () => {
    const res = await bulk(sandbox(), { contacts: Array.from({ length: MAX_BULK_CONTACTS }, (_, i) => contact(`n-${i}`)) });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ total: 1000, created: 1000, failed: 0 });
    expect(await storedContacts(sandbox())).toHaveLength(1000);
  });
});

describe('mailingcore bodies that are not JSON objects: 400 in the envelope, never a 500', () => {
  const raw = (body: string, contentType = 'application/json') =>
    call(sandbox(), '/mailingcore/contacts/bulk', {
      method: 'POST',
      headers: { authorization: `Bearer ${DEMO_KEY}`, 'x-tenant-id': DEMO_TENANT, 'content-type': contentType },
      body,
    });
  const cases: Array<[string, () => ReturnType<typeof raw>, string]> = [
    ['malformed JSON', () => raw('{"contacts": ['), BODY_MESSAGES.malformed],
    ['a wrong content type', () => raw(JSON.stringify({ contacts: [contact('a')] }), 'text/plain'), BODY_MESSAGES.contentType],
    ['an empty body', () => raw(''), BODY_MESSAGES.empty],
    ['a __proto__ key', () => raw('{"contacts": [{"email": "a@example.com", "__proto__": {"admin": true}}]}'), BODY_MESSAGES.forbiddenKey('__proto__')],
    ['a constructor key', () => raw('{"contacts": [], "constructor": {"prototype": {}}}'), BODY_MESSAGES.forbiddenKey('constructor')],
    ['deep nesting', () => raw(`{"contacts": [{"email": "a@example.com", "attributes": ${'{"a":'.repeat(80)}1${'}'.repeat(80)}}]}`), BODY_MESSAGES.tooDeep],
  ];
  for (const [name, send, message] of cases) {
    it(`answers ${name} with the vendor's 400`, async () => {
      const res = await send();
      expect(res.status).toBe(400);
      expect(res.body).toEqual(envelope(400, message));
      expect(await storedContacts(sandbox())).toEqual([]);
    });
  }

  it('answers PUT and PATCH bodies the same way', async () => {
    const put = await mc(sandbox(), 'PUT', '/contacts', '{"email": ', {});
    expect(put.status).toBe(400);
    expect(put.body).toEqual(envelope(400, BODY_MESSAGES.malformed, '/contacts'));
    const { body } = await putContact(sandbox(), contact('a'));
    const patch = await mc(sandbox(), 'PATCH', `/contacts/${body.id}`, { email: 'b@example.com' }, { contentType: 'text/plain' });
    expect(patch.status).toBe(400);
    expect(patch.body).toEqual(envelope(400, BODY_MESSAGES.contentType, `/contacts/${body.id}`));
    const unknown = await mc(sandbox(), 'PATCH', `/contacts/${body.id}`, { id: 'other' });
    expect(unknown.body).toEqual(envelope(400, MC_MESSAGES.unknownProperty('id'), `/contacts/${body.id}`));
  });

  it('answers a body over the limit with 413', async () => {
    const res = await raw(JSON.stringify({ contacts: [contact('a', { attributes: { blob: 'x'.repeat(11 * 1024 * 1024) } })] }));
    expect(res.status).toBe(413);
    expect(res.body).toEqual(envelope(413, BODY_MESSAGES.tooLarge(DEFAULT_BODY_LIMIT)));
    expect(await storedContacts(sandbox())).toEqual([]);
  });
});

describe('mailingcore GET /contacts query validation', () => {
  const cases: Array<[Record<string, string>, string]> = [
    [{ limit: '501' }, MC_MESSAGES.max('limit', 500)],
    [{ limit: '0' }, MC_MESSAGES.min('limit', 1)],
    [{ limit: 'ten' }, MC_MESSAGES.integer('limit')],
    [{ page: '0' }, MC_MESSAGES.min('page', 1)],
    [{ page: '1.5' }, MC_MESSAGES.integer('page')],
    [{ optIn: 'maybe' }, MC_MESSAGES.boolean('optIn')],
    [{ locale: 'pt' }, MC_MESSAGES.oneOf('locale', ['es', 'en', 'it', 'fr', 'ca', 'de'])],
    [{ updatedSince: 'yesterday' }, MC_MESSAGES.isoDate('updatedSince')],
    [{ sort: 'email' }, MC_MESSAGES.unknownProperty('sort')],
    [{ cursor: 'not-a-cursor' }, MC_MESSAGES.cursorInvalid],
    [{ cursor: Buffer.from('[1,"a","b",0,null,null,null]').toString('base64url') }, MC_MESSAGES.cursorInvalid],
    [{ cursor: Buffer.from('[1,"a","b",1,null,"yes",null]').toString('base64url') }, MC_MESSAGES.cursorInvalid],
    [{ page: '2', cursor: 'x' }, MC_MESSAGES.pageWithCursor],
  ];
  for (const [query, message] of cases) {
    it(`refuses ${JSON.stringify(query)}`, async () => {
      const res = await listContacts(sandbox(), query);
      expect(res.status).toBe(400);
      // `path` is the vendor path without its query string.
      expect(res.body).toEqual(envelope(400, message, '/contacts'));
    });
  }
});

describe('mailingcore routes it does not have', () => {
  it('answers an unknown path with its 404', async () => {
    const res = await mc(sandbox(), 'GET', '/lists');
    expect(res.status).toBe(404);
    expect(res.body).toEqual(envelope(404, MC_MESSAGES.cannot('GET', '/lists'), '/lists'));
  });

  it('answers a known path with a method it does not take with the same 404, no Allow header', async () => {
    const res = await mc(sandbox(), 'DELETE', '/contacts/bulk');
    expect(res.status).toBe(404);
    expect(res.body).toEqual(envelope(404, MC_MESSAGES.cannot('DELETE', '/contacts/bulk')));
    expect(res.headers.get('allow')).toBeNull();
    const post = await mc(sandbox(), 'POST', '/contacts', { email: 'a@example.com' });
    expect(post.status).toBe(404);
    expect(await storedContacts(sandbox())).toEqual([]);
  });
});
