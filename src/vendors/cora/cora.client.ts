// Test-side Cora client: signs requests exactly as the vendor documents, with knobs to break them.
import { call, json, type JsonResponse } from '../../../test/helpers.js';
import type { Sandbox } from '../../sandbox.js';
import { signCoraRequest } from './auth.js';

export const DEMO_KEY = 'cora_org_demo.demo_secret';
export const OTHER_KEY = 'cora_org_other.other_secret';
export const REVOKED_KEY = 'cora_org_revoked.revoked_secret';
export const BULK_PATH = '/external-api/accounts/bulk-upsert';

export interface SignedCallOptions {
  key?: string;
  method?: string;
  /** Seconds or ms as sent; default the sandbox clock in seconds. */
  timestamp?: string;
  /** The path the client signs; default the vendor path. */
  signedPath?: string;
  signature?: string;
  headers?: Record<string, string>;
  omit?: Array<'authorization' | 'timestamp' | 'signature'>;
  contentType?: string;
}

/** A signed Cora write to `path` (the vendor path, under /cora). */
export async function coraSigned(sandbox: Sandbox, path: string, body: unknown, options: SignedCallOptions = {}): Promise<JsonResponse> {
  const key = options.key ?? DEMO_KEY;
  const method = options.method ?? 'POST';
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const timestamp = options.timestamp ?? String(Math.floor(sandbox.clock.now() / 1000));
  const signature =
    options.signature ?? signCoraRequest({ apiKey: key, timestamp, method, pathWithQuery: options.signedPath ?? path, body: raw });
  const headers: Record<string, string> = { 'content-type': options.contentType ?? 'application/json' };
  if (!options.omit?.includes('authorization')) headers.authorization = `Bearer ${key}`;
  if (!options.omit?.includes('timestamp')) headers['x-cora-timestamp'] = timestamp;
  if (!options.omit?.includes('signature')) headers['x-cora-signature'] = signature;
  return call(sandbox, `/cora${path}`, { method, headers: { ...headers, ...options.headers }, body: raw });
}

export const bulk = (sandbox: Sandbox, body: unknown, options?: SignedCallOptions) => coraSigned(sandbox, BULK_PATH, body, options);

export const getAccount = (sandbox: Sandbox, externalId: string, key = DEMO_KEY) =>
  call(sandbox, `/cora/external-api/accounts/${encodeURIComponent(externalId)}`, { headers: { authorization: `Bearer ${key}` } });

export const newAccount = (externalId: string, extra: Record<string, unknown> = {}) => ({
  externalId,
  phoneNumber: '+15555550111',
  portfolioId: 'PORTFOLIO_1',
  metadata: { filenumber: externalId },
  ...extra,
});

export { json };
