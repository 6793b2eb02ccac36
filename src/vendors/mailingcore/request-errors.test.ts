// MailingCore's request-level errors change nothing in the store: not a row, not a sequence, not SQLite's data_version.
import { describe, expect, it } from 'vitest';
import { contact, putContact } from './mailingcore.client.js';
import { useFileSandboxWithDataVersion } from '../../../test/store-inspect.js';

const { sandbox, dataVersion } = useFileSandboxWithDataVersion();

describe('mailingcore request-level errors', () => {
  it('MailingCore PUT /contacts answered 409 takes no sequence number and commits nothing', async () => {
    expect((await putContact(sandbox(), contact('E1', { email: 'one@example.com' }))).status).toBe(200);
    expect((await putContact(sandbox(), contact('E2', { email: 'two@example.com' }))).status).toBe(200);
    const before = dataVersion();
    const sequences = () => sandbox().app.deps.store.all('SELECT * FROM mailingcore_sequences');
    const seqBefore = await sequences();
    const res = await putContact(sandbox(), contact('E1', { email: 'two@example.com' }));
    expect(res.status).toBe(409);
    expect(await sequences()).toEqual(seqBefore);
    expect(dataVersion()).toBe(before);
  });
});
