// Propel's OAuth 2.0 client credentials: issuing 1800-second Bearer tokens and checking them on every API call.
import type { MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { bearerToken, credentialAuth, credentialKind, hmacSha256Hex, safeEqual } from '../../core/auth.js';
import { readRawBody } from '../../core/body.js';
import type { CredentialRecord } from '../../core/credentials.js';
import type { CoreDeps, SandboxContext, SandboxEnv } from '../../core/vendor.js';
import { PROPEL_MESSAGES, propelError } from './errors.js';

export const VENDOR = 'propel';
/** Token lifetime on the sandbox clock (*sourced*: `expires_in: 1800`). */
export const TOKEN_TTL_S = 1800;
export const TOKEN_SCOPE = 'profile';
export const GRANT_TYPE = 'client_credentials';

/**
 * Tokens are self-contained: `<client id, base64url>.<expiry ms>.<nonce>.<HMAC of those, keyed
 * with the client secret>`. Nothing is stored, tokens survive a restart with a file store, and
 * revoking the client or changing its secret invalidates its tokens at once.
 */
export function issueToken(record: CredentialRecord, expiresAtMs: number, nonce: string): string {
  const payload = `${Buffer.from(record.id, 'utf8').toString('base64url')}.${expiresAtMs}.${nonce}`;
  return `${payload}.${hmacSha256Hex(record.secret, payload)}`;
}

/** The credential a token belongs to, or undefined when it is forged, revoked or expired. */
export async function verifyToken(deps: CoreDeps, token: string): Promise<CredentialRecord | undefined> {
  const match = /^([A-Za-z0-9_-]+)\.(\d{1,16})\.([0-9a-f]+)\.([0-9a-f]{64})$/.exec(token);
  if (!match) return undefined;
  const [, clientB64, expiry, nonce, mac] = match as unknown as [string, string, string, string, string];
  const record = await deps.credentials.find(VENDOR, Buffer.from(clientB64, 'base64url').toString('utf8'));
  if (!record || record.revoked) return undefined;
  if (!safeEqual(hmacSha256Hex(record.secret, `${clientB64}.${expiry}.${nonce}`), mac)) return undefined;
  // Expired from the instant the lifetime is used up.
  return deps.clock.now() < Number(expiry) ? record : undefined;
}

/** Bearer check on every API route; the token's client decides the tenant. */
export function propelAuth(deps: CoreDeps): MiddlewareHandler<SandboxEnv> {
  return credentialAuth(async function authenticatePropel(c) {
    const token = bearerToken(c.req.header('authorization'));
    const record = token === undefined ? undefined : await verifyToken(deps, token);
    if (!record) throw propelError('Unauthorized');
    return record;
  });
}

/** `Authorization: Basic base64(client_id:client_secret)`, taken as sent (*decision*: no form-decoding). */
function basicCredentials(header: string | undefined): { clientId: string; clientSecret: string } | undefined {
  const match = /^Basic[ \t]+([A-Za-z0-9+/=]+)[ \t]*$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { clientId: decoded.slice(0, colon), clientSecret: decoded.slice(colon + 1) };
}

const isForm = (contentType: string | undefined) => contentType?.split(';')[0]!.trim().toLowerCase() === 'application/x-www-form-urlencoded';

/**
 * Handles `POST /oauth2/token`. Order: the body must be a form, `grant_type` must be
 * `client_credentials` (400), then the client must be known, active and match (401). Basic
 * credentials win over form fields when both are sent (*decision*).
 */
export async function tokenHandler(c: SandboxContext, deps: CoreDeps): Promise<Response> {
  const raw = await readRawBody(c, deps.bodyLimit);
  if (raw.byteLength > 0 && !isForm(c.req.header('content-type'))) {
    throw propelError('InvalidTokenRequest', { message: PROPEL_MESSAGES.formContentType });
  }
  const form = new URLSearchParams(Buffer.from(raw).toString('utf8'));
  if (form.get('grant_type') !== GRANT_TYPE) throw propelError('InvalidTokenRequest', { message: PROPEL_MESSAGES.grantType });
  const basic = basicCredentials(c.req.header('authorization'));
  const clientId = basic?.clientId ?? form.get('client_id') ?? '';
  const clientSecret = basic?.clientSecret ?? form.get('client_secret') ?? '';
  const record = clientId === '' ? undefined : await deps.credentials.find(VENDOR, clientId);
  if (!record || record.revoked || !safeEqual(clientSecret, record.secret)) throw propelError('InvalidClient');
  const accessToken = issueToken(record, deps.clock.now() + TOKEN_TTL_S * 1000, deps.ids.hex(8));
  return c.json({ access_token: accessToken, expires_in: TOKEN_TTL_S, token_type: 'Bearer', scope: TOKEN_SCOPE });
}

export const PropelCredentialInput = z.strictObject({
  tenant: z.string().min(1),
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
  revoked: z.boolean().optional(),
});

const client = (tenant: string, clientId: string, clientSecret: string, revoked = false): CredentialRecord => ({
  vendor: VENDOR,
  id: clientId,
  tenant,
  secret: clientSecret,
  data: {},
  revoked,
});

export const DEMO_CLIENT = { tenant: 'propel_demo', clientId: 'demo_client', clientSecret: 'demo_secret' } as const;
export const OTHER_CLIENT = { tenant: 'propel_other', clientId: 'other_client', clientSecret: 'other_secret' } as const;

export const propelCredentials = credentialKind(
  PropelCredentialInput,
  ({ tenant, clientId, clientSecret, revoked }) => client(tenant, clientId, clientSecret, revoked ?? false),
  [DEMO_CLIENT, OTHER_CLIENT].map((d) => client(d.tenant, d.clientId, d.clientSecret)),
);
