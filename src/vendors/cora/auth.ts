// Cora's authentication: the org API key, and for writes the HMAC signature over the raw body.
import type { MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { bearerToken, credentialAuth, credentialKind, hmacSha256Hex, safeEqual, sha256Hex } from '../../core/auth.js';
import { readRawBody } from '../../core/body.js';
import type { CredentialRecord } from '../../core/credentials.js';
import type { RequestSigning } from '../../core/docs.js';
import { vendorPathWithQuery } from '../../core/router.js';
import type { CoreDeps, SandboxEnv } from '../../core/vendor.js';
import { CORA_MESSAGES, SIGNATURE_WINDOW_S, coraError } from './errors.js';

export const VENDOR = 'cora';
/** `cora_org_<keyId>.<secret>`: the part before the first dot finds the key, the rest is the secret. */
const API_KEY = /^(cora_org_[^.\s]+)\.(\S+)$/;

export function parseApiKey(key: string): { keyId: string; secret: string } | undefined {
  const match = API_KEY.exec(key);
  return match ? { keyId: match[1]!, secret: match[2]! } : undefined;
}

/** The string Cora signs: `<timestamp>.<METHOD>.<path_with_query>.<sha256 hex of the raw body>`. */
export const signingString = (timestamp: string, method: string, pathWithQuery: string, body: Uint8Array | string): string =>
  `${timestamp}.${method.toUpperCase()}.${pathWithQuery}.${sha256Hex(body)}`;

/** Signs a request exactly as a Cora client must. */
export function signCoraRequest(input: { apiKey: string; timestamp: string | number; method: string; pathWithQuery: string; body: Uint8Array | string }): string {
  const parsed = parseApiKey(input.apiKey);
  if (!parsed) throw new Error('not a Cora API key (cora_org_<keyId>.<secret>)');
  return hmacSha256Hex(parsed.secret, signingString(String(input.timestamp), input.method, input.pathWithQuery, input.body));
}

/** Timestamps of 10^12 and more are milliseconds; smaller ones are seconds. */
export function timestampToMs(raw: string): number | undefined {
  if (!/^\d{1,16}$/.test(raw)) return undefined;
  const n = Number(raw);
  return n >= 1e12 ? n : n * 1000;
}

export const SIGNED_HEADERS = ['Authorization', 'X-Cora-Timestamp', 'X-Cora-Signature'] as const;

/**
 * The same signature as `signingString`, described for /docs, which computes it in the browser for
 * Try it out: keyed with the secret of the key given in Authorize, timestamp in seconds, the
 * vendor path (the one a client of Cora's own host signs).
 */
export const CORA_SIGNING: RequestSigning = {
  key: { header: 'Authorization', pattern: '^Bearer\\s+cora_org_[^.\\s]+\\.(\\S+)$', hint: 'Authorize first with a Cora API key, cora_org_<keyId>.<secret>' },
  timestampHeader: SIGNED_HEADERS[1],
  signatureHeader: SIGNED_HEADERS[2],
  message: '{timestamp}.{method}.{path}.{bodySha256}',
};

async function findKey(deps: CoreDeps, authorization: string): Promise<CredentialRecord> {
  const parsed = parseApiKey(bearerToken(authorization) ?? '');
  const record = parsed && (await deps.credentials.find(VENDOR, parsed.keyId));
  if (!parsed || !record || record.revoked || !safeEqual(parsed.secret, record.secret)) {
    throw coraError('INVALID_API_KEY');
  }
  return record;
}

/**
 * Checks, in Cora's order: headers present, key valid, then (signed routes) timestamp window
 * and signature. On success the key's organization becomes the request's tenant.
 */
export function coraAuth(deps: CoreDeps, { signed }: { signed: boolean }): MiddlewareHandler<SandboxEnv> {
  return credentialAuth(async function authenticateCora(c) {
    const authorization = c.req.header('authorization');
    if (!signed) {
      if (!authorization) throw coraError('MISSING_AUTH_HEADER');
      return await findKey(deps, authorization);
    }
    const timestamp = c.req.header('x-cora-timestamp');
    const signature = c.req.header('x-cora-signature');
    const missing = SIGNED_HEADERS.filter((h) => !c.req.header(h));
    if (missing.length > 0) throw coraError('MISSING_AUTH_HEADERS', { message: CORA_MESSAGES.missingHeaders(missing) });
    const record = await findKey(deps, authorization!);

    const ms = timestampToMs(timestamp!.trim());
    if (ms === undefined || Math.abs(deps.clock.now() - ms) > SIGNATURE_WINDOW_S * 1000) {
      throw coraError('REQUEST_TIMESTAMP_OUTSIDE_WINDOW');
    }
    const body = await readRawBody(c, deps.bodyLimit);
    // The stored secret: findKey has just checked the presented one equals it.
    const secret = record.secret;
    const { vendorPath, fullPath } = vendorPathWithQuery(c);
    const presented = signature!.trim().toLowerCase();
    // Under the /cora mount the client may have signed the vendor path or the full path (*decision*).
    const candidates = vendorPath === fullPath ? [vendorPath] : [vendorPath, fullPath];
    const valid = candidates
      .map((path) => hmacSha256Hex(secret, signingString(timestamp!, c.req.method, path, body)))
      .some((expected) => safeEqual(expected, presented));
    if (!valid) throw coraError('INVALID_REQUEST_SIGNATURE');
    return record;
  });
}

export const CoraCredentialInput = z.strictObject({
  tenant: z.string().min(1).describe('The organization id'),
  key: z.string().regex(API_KEY, 'key must look like cora_org_<keyId>.<secret>'),
  revoked: z.boolean().optional(),
});

const demo = (tenant: string, key: string, revoked = false): CredentialRecord => {
  const { keyId, secret } = parseApiKey(key)!;
  return { vendor: VENDOR, id: keyId, tenant, secret, data: {}, revoked };
};

/** The demo organization's key (README "Demo credentials"); /docs fills it in Authorize. */
export const DEMO_API_KEY = 'cora_org_demo.demo_secret';

export const coraCredentials = credentialKind(CoraCredentialInput, ({ tenant, key, revoked }) => demo(tenant, key, revoked ?? false), [
  demo('org_demo', DEMO_API_KEY),
  demo('org_other', 'cora_org_other.other_secret'),
  demo('org_demo', 'cora_org_revoked.revoked_secret', true),
]);
