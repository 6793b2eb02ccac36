// Test-side Copper client: sends the three X-PW-* headers as the vendor documents, with knobs to break them.
import { call, json, type JsonResponse } from '../../../test/helpers.js';
import type { Sandbox } from '../../sandbox.js';
import { ACTIVITIES_TABLE } from './store.js';

export const DEMO = { token: 'copper_demo_token', email: 'demo@example.com' } as const;
export const OTHER = { token: 'copper_other_token', email: 'other@example.com' } as const;
export const API = '/copper/developer_api/v1';

export interface CopperCallOptions {
  as?: { token: string; email: string };
  method?: string;
  headers?: Record<string, string>;
  /** Leave out one of the auth headers. */
  omit?: Array<'token' | 'application' | 'email'>;
  application?: string;
  contentType?: string;
}

export function copperHeaders(options: CopperCallOptions = {}): Record<string, string> {
  const who = options.as ?? DEMO;
  const headers: Record<string, string> = { 'content-type': options.contentType ?? 'application/json' };
  if (!options.omit?.includes('token')) headers['x-pw-accesstoken'] = who.token;
  if (!options.omit?.includes('application')) headers['x-pw-application'] = options.application ?? 'developer_api';
  if (!options.omit?.includes('email')) headers['x-pw-useremail'] = who.email;
  return { ...headers, ...options.headers };
}

/** A call to `path` under the API root; a string body is sent as is, anything else as JSON. */
export function copper(sandbox: Sandbox, path: string, body?: unknown, options: CopperCallOptions = {}): Promise<JsonResponse> {
  const method = options.method ?? (body === undefined ? 'GET' : 'POST');
  const init: RequestInit = { method, headers: copperHeaders(options) };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  return call(sandbox, `${API}${path}`, init);
}

export const bulkCreate = (sandbox: Sandbox, people: unknown, options?: CopperCallOptions) =>
  copper(sandbox, '/people/bulk_create', { people }, options);
export const bulkUpdate = (sandbox: Sandbox, people: unknown, options?: CopperCallOptions) =>
  copper(sandbox, '/people/bulk_update', { people }, options);
export const getPerson = (sandbox: Sandbox, id: number | string, options?: CopperCallOptions) => copper(sandbox, `/people/${id}`, undefined, options);
export const search = (sandbox: Sandbox, body: unknown = {}, options?: CopperCallOptions) => copper(sandbox, '/people/search', body, options);
export const createActivity = (sandbox: Sandbox, body: unknown, options?: CopperCallOptions) => copper(sandbox, '/activities', body, options);
/** `POST /people/{id}/activities`; without a body unless one is given (`''` sends an empty one). */
export const personActivities = (sandbox: Sandbox, personId: number | string, body: unknown = '', options?: CopperCallOptions) =>
  copper(sandbox, `/people/${personId}/activities`, body, { method: 'POST', ...options });

/** What the store holds for one account (read through the module's listRecords, as the control API does). */
export async function storedPeople(sandbox: Sandbox, tenant = 'copper_demo', namespace = ''): Promise<any[]> {
  return (await sandbox.app.instances.copper!.listRecords({ namespace, tenant, limit: 10_000 })).records as any[];
}

/** Every stored activity row of every account and namespace, read straight from the store (either engine). */
export async function storedActivities(sandbox: Sandbox): Promise<Array<{ namespace: string; tenant: string; id: number; person_id: number; data: any }>> {
  const rows = await sandbox.app.deps.store.all<{ namespace: string; tenant: string; id: number; person_id: number; data: string }>(
    `SELECT namespace, tenant, id, person_id, data FROM ${ACTIVITIES_TABLE} ORDER BY namespace, tenant, id`,
  );
  return rows.map((row) => ({ ...row, data: JSON.parse(row.data) }));
}

export { json };
