// Test-side Propel client: fetches OAuth2 tokens and calls the contacts API the way a real client would.
import { call, json, type JsonResponse } from '../../../test/helpers.js';
import type { Sandbox } from '../../sandbox.js';
import { DEMO_CLIENT, OTHER_CLIENT } from './auth.js';

export { DEMO_CLIENT, OTHER_CLIENT };
export type PropelClient = { clientId: string; clientSecret: string };

/** `POST /propel/oauth2/token` with a form body (or HTTP Basic when `basic` is set). */
export function requestToken(sandbox: Sandbox, client: PropelClient = DEMO_CLIENT, options: { basic?: boolean; grantType?: string } = {}) {
  const form = new URLSearchParams({ grant_type: options.grantType ?? 'client_credentials' });
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (options.basic) headers.authorization = `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`;
  else (form.set('client_id', client.clientId), form.set('client_secret', client.clientSecret));
  return call(sandbox, '/propel/oauth2/token', { method: 'POST', headers, body: form.toString() });
}

/** A fresh access token for `client`; throws when the sandbox refuses it. */
export async function token(sandbox: Sandbox, client: PropelClient = DEMO_CLIENT): Promise<string> {
  const res = await requestToken(sandbox, client);
  if (res.status !== 200) throw new Error(`token request failed: ${res.status} ${res.text}`);
  return res.body.access_token as string;
}

export interface PropelCallOptions {
  /** A Bearer token; default a fresh one for the demo client. `null` sends no Authorization. */
  token?: string | null;
  client?: PropelClient;
  headers?: Record<string, string>;
}

async function authHeaders(sandbox: Sandbox, options: PropelCallOptions): Promise<Record<string, string>> {
  const bearer = options.token === undefined ? await token(sandbox, options.client) : options.token;
  return { ...(bearer === null ? {} : { authorization: `Bearer ${bearer}` }), ...options.headers };
}

/** Any call under /propel/v2 with a JSON body (a string body is sent as is). */
export async function propelCall(sandbox: Sandbox, method: string, path: string, body?: unknown, options: PropelCallOptions = {}): Promise<JsonResponse> {
  const headers = await authHeaders(sandbox, options);
  const init = body === undefined ? { headers } : json(body, headers);
  return call(sandbox, `/propel/v2${path}`, { method, ...init, headers: { ...init.headers, ...headers } });
}

export const bulkById = (sandbox: Sandbox, body: unknown, options?: PropelCallOptions) => propelCall(sandbox, 'POST', '/contacts/bulk/id', body, options);
export const bulkBySourceId = (sandbox: Sandbox, body: unknown, options?: PropelCallOptions) =>
  propelCall(sandbox, 'POST', '/contacts/bulk/sourceId', body, options);

/** `GET /contacts/id/:id`, or `/contacts/sourceId/:sourceId?source=&language=`. */
export function getContact(sandbox: Sandbox, lookup: number | { sourceId: number; source: string; language?: string }, options?: PropelCallOptions) {
  return propelCall(sandbox, 'GET', contactPath(lookup), undefined, options);
}

export function contactPath(lookup: number | { sourceId: number; source: string; language?: string }): string {
  if (typeof lookup === 'number') return `/contacts/id/${lookup}`;
  const query = new URLSearchParams({ source: lookup.source, ...(lookup.language ? { language: lookup.language } : {}) });
  return `/contacts/sourceId/${lookup.sourceId}?${query}`;
}

/**
 * A contact in the old stored order (before keys followed the page's alphabetical order), every
 * field not given null: what tests expect of a stored contact, or write as a legacy row.
 */
export const contactWith = (at: string, fields: Record<string, unknown>): Record<string, unknown> => ({
  id: null,
  debtorId: null,
  firstName: null,
  middleName: null,
  lastName: null,
  abbreviation: null,
  title: null,
  dateOfBirth: null,
  gender: null,
  ssn: null,
  phone: null,
  mobile: null,
  email: null,
  parent: null,
  primaryLanguage: null,
  language: null,
  sourceId: null,
  source: null,
  attributes: [],
  createdAt: at,
  updatedAt: at,
  ...fields,
});
