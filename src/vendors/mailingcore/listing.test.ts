// MailingCore reads through HTTP: filters, offset pages, cursor walks with writes between pages, and campaign locale coverage.
import { describe, expect, it } from 'vitest';
import { advanceClock, T0, T0_ISO, useSandbox } from '../../../test/helpers.js';
import {
  bulk,
  contact,
  createCampaign,
  deleteContact,
  listContacts,
  localeCoverage,
  OTHER_KEY,
  storedContacts,
} from './mailingcore.client.js';
import { MC_MESSAGES } from './errors.js';

const sandbox = useSandbox({ rateLimits: 'off' });
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
const byKey = (a: any, b: any) => (a.updatedAt < b.updatedAt ? -1 : a.updatedAt > b.updatedAt ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const externalIds = (contacts: any[]) => contacts.map((c) => c.externalId);

/** Follows nextCursor to the end, running `between` after each page; returns every page's body. */
async function walk(query: Record<string, string | number>, between: (page: number) => Promise<void> = async () => {}) {
  const pages: any[] = [];
  let cursor: string | null = null;
  do {
    const res = await listContacts(sandbox(), cursor ? { ...query, cursor } : query);
    expect(res.status).toBe(200);
    pages.push(res.body);
    cursor = res.body.meta.nextCursor;
    await between(pages.length);
  } while (cursor !== null);
  return pages;
}

describe('mailingcore GET /contacts', () => {
  it('filters by locale and optIn, pages by offset, and orders by (updatedAt, id)', async () => {
    await bulk(sandbox(), {
      contacts: [
        contact('c-1', { locale: 'en', optIn: true }),
        contact('c-2', { locale: 'en' }),
        contact('c-3', { locale: 'es', optIn: true }),
        contact('c-4', { locale: 'en', optIn: true }),
        contact('c-5', { locale: 'en', optIn: true }),
      ],
    });
    await advanceClock(sandbox(), 60_000);
    await bulk(sandbox(), { contacts: [contact('c-1', { attributes: { moved: true } })] });
    const all = (await storedContacts(sandbox())).sort(byKey);

    const first = await listContacts(sandbox(), { locale: 'en', optIn: true, limit: 2 });
    expect(first.status).toBe(200);
    const expected = all.filter((c) => c.locale === 'en' && c.optIn);
    expect(expected).toHaveLength(3);
    expect(first.body.data).toEqual(expected.slice(0, 2));
    expect(first.body.meta).toEqual({ page: 1, limit: 2, total: 3, totalPages: 2, nextCursor: expect.any(String) });
    const second = await listContacts(sandbox(), { locale: 'en', optIn: 'true', limit: 2, page: 2 });
    expect(second.body.data).toEqual(expected.slice(2));
    expect(second.body.meta).toEqual({ page: 2, limit: 2, total: 3, totalPages: 2, nextCursor: null });
    // c-1 changed last, so it comes last.
    expect(second.body.data[0].externalId).toBe('c-1');

    const optedOut = await listContacts(sandbox(), { optIn: false });
    expect(externalIds(optedOut.body.data)).toEqual(['c-2']);
    const defaults = await listContacts(sandbox());
    expect(defaults.body.meta).toEqual({ page: 1, limit: 50, total: 5, totalPages: 1, nextCursor: null });
    expect(defaults.body.data).toEqual(all);
  });

  it('updatedSince keeps contacts with updatedAt >= it, whatever the offset it is written with', async () => {
    await bulk(sandbox(), { contacts: [contact('old')] });
    await advanceClock(sandbox(), 60_000);
    await bulk(sandbox(), { contacts: [contact('new')] });
    for (const since of [at(1), '2026-01-15T10:01:00Z', '2026-01-15T11:01:00+01:00', '2026-01-15T10:01:00']) {
      const res = await listContacts(sandbox(), { updatedSince: since });
      expect(externalIds(res.body.data), since).toEqual(['new']);
    }
    expect(externalIds((await listContacts(sandbox(), { updatedSince: '2026-01-15' })).body.data)).toEqual(['old', 'new']);
  });

  it('a cursor walk returns exactly the contacts changed since updatedSince, once each, while writes happen between pages', async () => {
    // T0: six contacts. Then changes at minutes 1, 2 and 3 make five of them "changed since minute 1".
    await bulk(sandbox(), { contacts: [1, 2, 3, 4, 5, 6].map((n) => contact(`c-${n}`, { locale: 'en' })) });
    await advanceClock(sandbox(), 60_000);
    await bulk(sandbox(), { contacts: [contact('c-5', { locale: 'es' })] });
    await advanceClock(sandbox(), 60_000);
    await bulk(sandbox(), { contacts: [contact('c-2', { locale: 'es' }), contact('c-7', { locale: 'fr' })] });
    await advanceClock(sandbox(), 60_000);
    await bulk(sandbox(), { contacts: [contact('c-6', { locale: 'es' }), contact('c-4', { locale: 'es' })] });
    const changed = (await storedContacts(sandbox()))
      .filter((c) => c.updatedAt >= at(1))
      .sort(byKey);
    expect(externalIds(changed).sort()).toEqual(['c-2', 'c-4', 'c-5', 'c-6', 'c-7']);

    await advanceClock(sandbox(), 60_000);
    const pages = await walk({ updatedSince: at(1), limit: 2 }, async (page) => {
      if (page !== 1) return;
      // Between pages 1 and 2: create one, change one already returned, and change one that did not match.
      await bulk(sandbox(), { contacts: [contact('c-8'), contact(changed[0].externalId, { optIn: true }), contact('c-1', { optIn: true })] });
    });
    const returned = pages.flatMap((p) => p.data);
    expect(pages[0].meta.total).toBe(5);
    // Every contact that had changed when the walk began, in (updatedAt, id) order, as it stood then.
    expect(returned).toEqual(changed);
    expect(new Set(returned.map((c) => c.id)).size).toBe(returned.length);

    // The writes made during the walk come in the next pull, from the largest updatedAt the walk returned.
    const since = returned.map((c) => c.updatedAt).sort().at(-1);
    const next = await listContacts(sandbox(), { updatedSince: since });
    expect(externalIds(next.body.data.filter((c: any) => c.updatedAt > since)).sort()).toEqual(['c-1', 'c-5', 'c-8']);
    expect(next.body.data.find((c: any) => c.externalId === 'c-5')).toMatchObject({ optIn: true, updatedAt: at(4) });
  });

  it('a contact changed during a walk, before the walk reached it, is left for the next pull rather than read twice', async () => {
    await bulk(sandbox(), { contacts: [1, 2, 3, 4].map((n) => contact(`c-${n}`)) });
    const order = (await storedContacts(sandbox())).sort(byKey);
    const page1 = await listContacts(sandbox(), { limit: 2 });
    expect(page1.body.data).toEqual(order.slice(0, 2));
    await advanceClock(sandbox(), 60_000);
    // Change one contact the walk has not reached yet, and delete another.
    await bulk(sandbox(), { contacts: [contact(order[2].externalId, { optIn: true })] });
    await deleteContact(sandbox(), order[3].externalId);
    const page2 = await listContacts(sandbox(), { limit: 2, cursor: page1.body.meta.nextCursor });
    expect(page2.status).toBe(200);
    expect(page2.body.data).toEqual([]);
    expect(page2.body.meta.nextCursor).toBeNull();
    const next = await listContacts(sandbox(), { updatedSince: page1.body.data.at(-1).updatedAt });
    expect(next.body.data.filter((c: any) => c.updatedAt > T0_ISO).map((c: any) => c.externalId)).toEqual([order[2].externalId]);
  });

  it('a cursor carries its filters: sent alone it continues the walk, sent with other filters it is refused', async () => {
    await bulk(sandbox(), { contacts: [1, 2, 3, 4].map((n) => contact(`c-${n}`, { locale: n % 2 ? 'en' : 'es' })) });
    const first = await listContacts(sandbox(), { locale: 'en', limit: 1 });
    expect(first.body.meta.total).toBe(2);
    const alone = await listContacts(sandbox(), { cursor: first.body.meta.nextCursor });
    expect(alone.status).toBe(200);
    expect(alone.body.data.map((c: any) => c.locale)).toEqual(['en']);
    expect(alone.body.meta).toMatchObject({ page: 2, limit: 50, total: 2, nextCursor: null });
    const same = await listContacts(sandbox(), { cursor: first.body.meta.nextCursor, locale: 'en', limit: 1 });
    expect(same.body.data).toEqual(alone.body.data);
    const other = await listContacts(sandbox(), { cursor: first.body.meta.nextCursor, locale: 'es' });
    expect(other.status).toBe(400);
    expect(other.body).toEqual({ statusCode: 400, message: MC_MESSAGES.cursorFilters, path: '/contacts', timestamp: T0_ISO });
  });

  it('a cursor walk without writes equals one big page', async () => {
    await bulk(sandbox(), { contacts: Array.from({ length: 7 }, (_, n) => contact(`w-${n}`)) });
    await advanceClock(sandbox(), 1_000);
    await bulk(sandbox(), { contacts: [contact('w-3', { optIn: true }), contact('w-0', { optIn: true })] });
    const pages = await walk({ limit: 3 });
    expect(pages.map((p) => p.meta.page)).toEqual([1, 2, 3]);
    expect(pages.flatMap((p) => p.data)).toEqual((await listContacts(sandbox(), { limit: 500 })).body.data);
  });
});

describe('mailingcore locale coverage', () => {
  const seed = async () => {
    await bulk(sandbox(), {
      contacts: [
        contact('en-1', { locale: 'en', optIn: true, attributes: { tier: 'gold' }, projectId: 'p1' }),
        contact('en-2', { locale: 'en', optIn: true }),
        contact('en-3', { locale: 'en', attributes: { tier: 'gold' } }),
        contact('es-1', { locale: 'es', optIn: true, attributes: { tier: 'gold', extra: 1 }, projectId: 'p1' }),
        contact('fr-1', { locale: 'fr' }),
        contact('none-1', { optIn: true, attributes: { tier: { level: 1 } } }),
        contact('none-2', {}),
      ],
    });
    // Another tenant's contacts never count.
    await bulk(sandbox(), { contacts: [contact('en-x', { locale: 'en', optIn: true }), contact('de-x', { locale: 'de', optIn: true })] }, { key: OTHER_KEY });
  };
  const coverageOf = async (body: unknown) => {
    const created = await createCampaign(sandbox(), body);
    expect(created.status).toBe(201);
    const res = await localeCoverage(sandbox(), created.body.id);
    expect(res.status).toBe(200);
    return res.body;
  };

  it('creates a campaign and counts its audience per locale, templates marked, no-locale last', async () => {
    await seed();
    const created = await createCampaign(sandbox(), { name: 'Spring', audienceFilter: { optIn: true }, templateLocales: ['en', 'de', 'en'] });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.stringMatching(/^cm[0-9a-f]{24}$/),
      name: 'Spring',
      audienceFilter: { optIn: true },
      templateLocales: ['en', 'de'],
      createdAt: T0_ISO,
      updatedAt: T0_ISO,
    });
    const res = await localeCoverage(sandbox(), created.body.id);
    expect(res.status).toBe(200);
    expect(res.body).toEqual([
      { locale: 'en', count: 2, hasTemplate: true },
      { locale: 'es', count: 1, hasTemplate: false },
      { locale: 'de', count: 0, hasTemplate: true },
      { locale: null, count: 1, hasTemplate: false },
    ]);

    // Counted when asked: a new opted-in German contact shows up.
    await bulk(sandbox(), { contacts: [contact('de-1', { locale: 'de', optIn: true })] });
    expect((await localeCoverage(sandbox(), created.body.id)).body).toContainEqual({ locale: 'de', count: 1, hasTemplate: true });
  });

  it('applies every part of the audience filter', async () => {
    await seed();
    expect(await coverageOf({ name: 'all', audienceFilter: {} })).toEqual([
      { locale: 'en', count: 3, hasTemplate: false },
      { locale: 'es', count: 1, hasTemplate: false },
      { locale: 'fr', count: 1, hasTemplate: false },
      { locale: null, count: 2, hasTemplate: false },
    ]);
    expect(await coverageOf({ name: 'gold', audienceFilter: { attributes: { tier: 'gold' } } })).toEqual([
      { locale: 'en', count: 2, hasTemplate: false },
      { locale: 'es', count: 1, hasTemplate: false },
    ]);
    expect(await coverageOf({ name: 'nested', audienceFilter: { attributes: { tier: { level: 1 } } } })).toEqual([
      { locale: null, count: 1, hasTemplate: false },
    ]);
    // Equal counts follow the vendor's locale order: es, en, it, fr, ca, de.
    expect(await coverageOf({ name: 'p1 gold opted in', audienceFilter: { projectId: 'p1', optIn: true, attributes: { tier: 'gold' } } })).toEqual([
      { locale: 'es', count: 1, hasTemplate: false },
      { locale: 'en', count: 1, hasTemplate: false },
    ]);
    expect(await coverageOf({ name: 'fr', audienceFilter: { locale: 'fr' }, templateLocales: ['fr', 'it'] })).toEqual([
      { locale: 'fr', count: 1, hasTemplate: true },
      { locale: 'it', count: 0, hasTemplate: true },
    ]);
    expect(await coverageOf({ name: 'no locale', audienceFilter: { locale: null } })).toEqual([{ locale: null, count: 2, hasTemplate: false }]);
  });

  it('404s an unknown campaign, and another tenant\'s', async () => {
    const created = await createCampaign(sandbox(), { name: 'mine', audienceFilter: {} });
    const missing = await localeCoverage(sandbox(), 'cm_nope');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ statusCode: 404, message: MC_MESSAGES.campaignNotFound, path: '/campaigns/cm_nope/locale-coverage', timestamp: T0_ISO });
    expect((await localeCoverage(sandbox(), created.body.id, { key: OTHER_KEY })).status).toBe(404);
  });
});
