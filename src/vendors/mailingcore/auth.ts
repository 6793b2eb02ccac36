// MailingCore's authentication: scoped bearer keys, the X-Tenant-Id check, and the per-key rate limit with its headers.
import type { MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { bearerToken, credentialAuth, credentialKind, safeEqual, sha256Hex } from '../../core/auth.js';
import type { CredentialRecord } from '../../core/credentials.js';
import { rateLimit } from '../../core/middleware.js';
import type { CoreDeps, SandboxEnv } from '../../core/vendor.js';
import { MC_MESSAGES, RATE_LIMIT, SCOPES, type Scope, mailingcoreError } from './errors.js';

export const VENDOR = 'mailingcore';
export const API_KEY = /^mc_(live|test)_[A-Za-z0-9_-]{1,200}$/;
const SCOPE = /^[a-z][a-z_-]*:[a-z][a-z_-]*$/;

/**
 * The key is itself the secret, so the credential id is derived from it rather than being it:
 * the control API can list and revoke keys by id without ever showing one in clear.
 */
export const credentialId = (key: string): string => `mck_${sha256Hex(key).slice(0, 16)}`;

export type TenantHeaderMode = 'required' | 'optional';

/** `--vendor-option mailingcore.tenantHeader=required|optional`; anything else fails at start. */
export function tenantHeaderMode(deps: CoreDeps): TenantHeaderMode {
  const value = deps.vendorOptions[VENDOR]?.tenantHeader;
  if (value === undefined || value === 'required' || value === 'optional') return value ?? 'required';
  throw new Error(`mailingcore.tenantHeader must be "required" or "optional", got "${value}"`);
}

/** 401 for a missing, malformed, unknown or revoked key; otherwise the key's tenant becomes the request's. */
export function authenticateKey(deps: CoreDeps): MiddlewareHandler<SandboxEnv> {
  return credentialAuth(async function authenticateMailingCore(c) {
    const header = c.req.header('authorization');
    if (!header) throw mailingcoreError('MISSING_API_KEY');
    const key = bearerToken(header);
    if (!key || !API_KEY.test(key)) throw mailingcoreError('INVALID_API_KEY');
    const record = await deps.credentials.find(VENDOR, credentialId(key));
    if (!record || !safeEqual(key, record.secret)) throw mailingcoreError('INVALID_API_KEY');
    if (record.revoked) throw mailingcoreError('API_KEY_REVOKED');
    return record;
  });
}

/**
 * 300 requests a minute per key. Counted right after the key is known, so every later answer
 * (403s and 400s included) carries the X-RateLimit-* headers, as the vendor's do.
 */
export function limitPerKey(deps: CoreDeps): MiddlewareHandler<SandboxEnv> {
  return rateLimit({
    limits: deps.rateLimits,
    limiter: deps.rateLimits.limiter('mailingcore.api', RATE_LIMIT),
    key: (c) => c.get('credential').id,
    onDecision(c, decision) {
      c.header('X-RateLimit-Limit', String(decision.limit));
      c.header('X-RateLimit-Remaining', String(decision.remaining));
      c.header('X-RateLimit-Reset', String(Math.ceil(decision.resetAtMs / 1000)));
    },
  });
}

/** X-Tenant-Id must name the key's tenant; when absent it is a 400, unless the switch makes it optional. */
export function checkTenant(mode: TenantHeaderMode): MiddlewareHandler<SandboxEnv> {
  return async function checkTenantHeader(c, next) {
    const tenant = c.req.header('x-tenant-id')?.trim();
    if (!tenant) {
      if (mode === 'required') throw mailingcoreError('TENANT_HEADER_REQUIRED');
    } else if (!safeEqual(tenant, c.get('tenant'))) {
      throw mailingcoreError('UNAUTHORIZED_TENANT');
    }
    await next();
  };
}

export const scopesOf = (record: CredentialRecord): string[] =>
  Array.isArray(record.data.scopes) ? record.data.scopes.filter((s): s is string => typeof s === 'string') : [];

export function requireScope(scope: Scope): MiddlewareHandler<SandboxEnv> {
  return async function requireApiKeyScope(c, next) {
    if (!scopesOf(c.get('credential')).includes(scope)) throw mailingcoreError('MISSING_SCOPE', { message: MC_MESSAGES.missingScope(scope) });
    await next();
  };
}

/** Everything a route runs before its handler, in the vendor's order: key, limit, tenant, scope. */
export function guard(deps: CoreDeps, mode: TenantHeaderMode, scope: Scope): MiddlewareHandler<SandboxEnv>[] {
  return [authenticateKey(deps), limitPerKey(deps), checkTenant(mode), requireScope(scope)];
}

export const MailingCoreCredentialInput = z.strictObject({
  tenant: z.string().min(1).describe('The tenant id (X-Tenant-Id)'),
  key: z.string().regex(API_KEY, 'key must look like mc_live_... or mc_test_...'),
  scopes: z.array(z.string().regex(SCOPE, 'scopes look like contacts:write')).describe(`e.g. ${SCOPES.join(', ')}`),
  revoked: z.boolean().optional(),
});

const toRecord = (tenant: string, key: string, scopes: readonly string[], revoked = false): CredentialRecord => ({
  vendor: VENDOR,
  id: credentialId(key),
  tenant,
  secret: key,
  data: { scopes: [...new Set(scopes)] },
  revoked,
});

/** The demo tenant's key with every scope (README "Demo credentials"); /docs fills it in Authorize. */
export const DEMO_API_KEY = 'mc_test_demo';

export const mailingcoreCredentials = credentialKind(MailingCoreCredentialInput, ({ tenant, key, scopes, revoked }) => toRecord(tenant, key, scopes, revoked ?? false), [
  toRecord('tenant_demo', DEMO_API_KEY, SCOPES),
  toRecord('tenant_demo', 'mc_test_readonly', ['contacts:read']),
  toRecord('tenant_other', 'mc_test_other', SCOPES),
]);
