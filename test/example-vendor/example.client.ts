// Test-side client of the example vendor: its demo tokens, its two calls, and a contact carrying an id.
import type { Sandbox } from '../../src/sandbox.js';
import { call, json } from '../helpers.js';
import { BULK_PATH } from './index.js';

export const TOKEN = 'ex-demo-token-a1';
export const OTHER_TOKEN = 'ex-other-token-b2';
export { BULK_PATH };

export interface ExampleCallOptions {
  token?: string;
  headers?: Record<string, string>;
}

const auth = ({ token = TOKEN, headers = {} }: ExampleCallOptions) => ({ authorization: `Bearer ${token}`, ...headers });

/** POST /v1/contacts/bulk; a string body is sent as is. */
export const upsert = (sandbox: Sandbox, body: unknown, options: ExampleCallOptions = {}) =>
  call(sandbox, `/example${BULK_PATH}`, { method: 'POST', ...json(body, auth(options)) });

export const getContact = (sandbox: Sandbox, email: string, options: ExampleCallOptions = {}) =>
  call(sandbox, `/example/v1/contacts/${encodeURIComponent(email)}`, { headers: auth(options) });

/** A contact whose email is `<id>@example.com` and whose name is `name` (default the id). */
export const contact = (id: string, name = id) => ({ email: `${id}@example.com`, name });
