// Test-side MailingCore client: bearer key and X-Tenant-Id as the vendor documents, with knobs to leave them out.
import { call, json, type JsonResponse } from '../../../test/helpers.js';
import type { Sandbox } from '../../sandbox.js';

export const DEMO_KEY = 'mc_test_demo';
export const READONLY_KEY = 'mc_test_readonly';
export const OTHER_KEY = 'mc_test_other';
export const DEMO_TENANT = 'tenant_demo';
export const OTHER_TENANT = 'tenant_other';
const TENANT_OF: Record<string, string> = { [DEMO_KEY]: DEMO_TENANT, [READONLY_KEY]: DEMO_TENANT, [OTHER_KEY]: OTHER_TENANT };

export interface McOptions {
  /** The bearer key; null sends no Authorization header. */
  key?: string | null;
  /** X-Tenant-Id; default the key's demo tenant, null sends none. */
  tenant?: string | null;
  contentType?: string;
  headers?: Record<string, string>;
}

/** A MailingCore call to `path` (the vendor path, under /mailingcore); a string body is sent as is. */
export function mc(sandbox: Sandbox, method: string, path: string, body?: unknown, options: McOptions = {}): Promise<JsonResponse> {
  const key = options.key === undefined ? DEMO_KEY : options.key;
  const tenant = options.tenant === undefined ? (key ? (TENANT_OF[key] ?? DEMO_TENANT) : DEMO_TENANT) : options.tenant;
  const headers: Record<string, string> = { ...options.headers };
  if (key !== null) headers.authorization = `Bearer ${key}`;
  if (tenant !== null) headers['x-tenant-id'] = tenant;
  if (body === undefined) return call(sandbox, `/mailingcore${path}`, { method, headers });
  const init = json(body, { 'content-type': options.contentType ?? 'application/json', ...headers });
  return call(sandbox, `/mailingcore${path}`, { method, ...init });
}

export const bulk = (sandbox: Sandbox, body: unknown, options?: McOptions) => mc(sandbox, 'POST', '/contacts/bulk', body, options);
export const putContact = (sandbox: Sandbox, body: unknown, options?: McOptions) => mc(sandbox, 'PUT', '/contacts', body, options);
export const getContact = (sandbox: Sandbox, idOrExternalId: string, options?: McOptions) =>
  mc(sandbox, 'GET', `/contacts/${encodeURIComponent(idOrExternalId)}`, undefined, options);
export const patchContact = (sandbox: Sandbox, id: string, body: unknown, options?: McOptions) =>
  mc(sandbox, 'PATCH', `/contacts/${encodeURIComponent(id)}`, body, options);
export const deleteContact = (sandbox: Sandbox, externalId: string, options?: McOptions) =>
  mc(sandbox, 'DELETE', `/contacts/${encodeURIComponent(externalId)}`, undefined, options);
export const listContacts = (sandbox: Sandbox, query: Record<string, string | number | boolean> = {}, options?: McOptions) =>
  mc(sandbox, 'GET', `/contacts?${new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]))}`, undefined, options);
export const createCampaign = (sandbox: Sandbox, body: unknown, options?: McOptions) => mc(sandbox, 'POST', '/campaigns', body, options);
export const localeCoverage = (sandbox: Sandbox, campaignId: string, options?: McOptions) =>
  mc(sandbox, 'GET', `/campaigns/${encodeURIComponent(campaignId)}/locale-coverage`, undefined, options);

/** What the store holds for a tenant, read past the HTTP surface (the control API's listing). */
export async function storedContacts(sandbox: Sandbox, tenant = DEMO_TENANT, namespace = ''): Promise<any[]> {
  return (await sandbox.app.instances.mailingcore!.listRecords({ namespace, tenant, limit: 10_000 })).records as any[];
}

/** A valid bulk item with an externalId. */
export const contact = (externalId: string, extra: Record<string, unknown> = {}) => ({
  email: `${externalId}@example.com`,
  externalId,
  ...extra,
});
