// Copper's authentication: the three X-PW-* headers on every call, checked against the account's user tokens.
import type { MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { credentialAuth, credentialKind, safeEqual } from '../../core/auth.js';
import type { CredentialRecord } from '../../core/credentials.js';
import type { CoreDeps, SandboxEnv } from '../../core/vendor.js';
import { copperError } from './errors.js';

export const VENDOR = 'copper';
/** The only application value Copper's developer API accepts (*sourced*). */
export const APPLICATION = 'developer_api';
export const AUTH_HEADERS = { token: 'X-PW-AccessToken', application: 'X-PW-Application', email: 'X-PW-UserEmail' } as const;

/**
 * A Copper token belongs to one user, so the credential is found by the user's email and the
 * token is its secret: the control API then lists emails, never tokens (*decision*).
 */
export const credentialId = (email: string): string => email.trim().toLowerCase();

/**
 * Every failure (a header missing, another application, an unknown email, a wrong or revoked
 * token) is the same 401, as the spec decides: the answer never says which part was wrong.
 */
export function copperAuth(deps: CoreDeps): MiddlewareHandler<SandboxEnv> {
  return credentialAuth(async function authenticateCopper(c) {
    const token = c.req.header(AUTH_HEADERS.token)?.trim();
    const application = c.req.header(AUTH_HEADERS.application)?.trim();
    const email = c.req.header(AUTH_HEADERS.email)?.trim();
    if (!token || !email || application !== APPLICATION) throw copperError('INVALID_CREDENTIALS');
    const record = await deps.credentials.find(VENDOR, credentialId(email));
    if (!record || record.revoked || !safeEqual(token, record.secret)) throw copperError('INVALID_CREDENTIALS');
    return record;
  });
}

export const CopperCredentialInput = z.strictObject({
  tenant: z.string().min(1).describe('The Copper account'),
  token: z.string().min(1).describe('The API token (X-PW-AccessToken)'),
  email: z.email().describe('The token owner (X-PW-UserEmail)'),
  revoked: z.boolean().optional(),
});

const toRecord = (tenant: string, token: string, email: string, revoked = false): CredentialRecord => ({
  vendor: VENDOR,
  id: credentialId(email),
  tenant,
  secret: token,
  data: { email },
  revoked,
});

/** The demo account's token and user (README "Demo credentials"); /docs fills them in Authorize. */
export const DEMO_USER = { token: 'copper_demo_token', email: 'demo@example.com' } as const;

export const copperCredentials = credentialKind(CopperCredentialInput, ({ tenant, token, email, revoked }) => toRecord(tenant, token, email, revoked ?? false), [
  toRecord('copper_demo', DEMO_USER.token, DEMO_USER.email),
  toRecord('copper_other', 'copper_other_token', 'other@example.com'),
]);
