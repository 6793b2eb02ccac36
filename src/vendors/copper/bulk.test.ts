// The batch engine on its own: fault-forced row failures and sequential email claims within one request.
import { describe, expect, it } from 'vitest';
import { Store } from '../../core/store.js';
import { processBatch, failedReasons, toElement } from './bulk.js';
import { COPPER_MIGRATIONS, CopperPeople } from './store.js';

function engine() {
  const store = new Store(':memory:');
  store.migrate('copper', COPPER_MIGRATIONS);
  const people = new CopperPeople(store);
  const ctx = { scope: { namespace: '', tenant: 't' }, people, now: 1_700_000_000, defaults: { contactTypeId: 1074 } };
  return { store, people, ctx };
}

describe('copper batch engine', () => {
  it('fails the rows a fault names with the vendor shape, and writes the others', () => {
    const { people, ctx } = engine();
    const outcomes = processBatch(
      { mode: 'create', rows: [{ name: 'A' }, { name: 'B' }, { name: 'C' }], rowFaults: new Map([[1, 'taken']]) },
      ctx,
    );
    expect(outcomes.map(toElement)).toEqual([
      expect.objectContaining({ id: 1, name: 'A' }),
      { success: false, message: { emails: [{ error: 'taken' }] } },
      expect.objectContaining({ id: 2, name: 'C' }),
    ]);
    expect(failedReasons(outcomes)).toEqual(['taken']);
    expect(people.all(ctx.scope).map((p) => p.name)).toEqual(['A', 'C']);
  });

  it('a forced not_found on update carries the id', () => {
    const { ctx } = engine();
    processBatch({ mode: 'create', rows: [{ name: 'A' }] }, ctx);
    const outcomes = processBatch({ mode: 'update', rows: [{ id: 1, title: 'x' }], rowFaults: new Map([[0, 'not_found']]) }, ctx);
    expect(outcomes.map(toElement)).toEqual([{ success: false, message: { id: [{ error: 'not_found' }] }, id: 1 }]);
  });

  it('an email moved off one person earlier in the request is free for a later object', () => {
    const { people, ctx } = engine();
    processBatch({ mode: 'create', rows: [{ name: 'A', emails: [{ email: 'x@example.com', category: 'work' }] }, { name: 'B' }] }, ctx);
    const outcomes = processBatch(
      { mode: 'update', rows: [{ id: 1, emails: [] }, { id: 2, emails: [{ email: 'X@example.com', category: 'work' }] }] },
      ctx,
    );
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(people.emailOwner(ctx.scope, 'x@example.com')).toBe(2);
  });

  it('a dry run assigns no ids and writes nothing', () => {
    const { people, ctx } = engine();
    const outcomes = processBatch({ mode: 'create', rows: [{ name: 'A' }], dryRun: true }, ctx);
    expect(outcomes[0]!.ok).toBe(true);
    expect(people.count(ctx.scope)).toBe(0);
  });
});
