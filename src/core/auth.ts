// Credential helpers every vendor uses: the auth middleware, bearer parsing, hashing, constant-time comparison.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { CredentialRecord } from './credentials.js';
import type { z } from 'zod';
import type { CredentialKind, SandboxContext, SandboxEnv } from './vendor.js';

/**
 * A vendor's auth as the core runs it: `authenticate` reads what the request presents and returns
 * its credential, or throws the vendor's error; the core then sets the request's credential,
 * tenant and scope, so no vendor repeats that tail (or forgets a part of it).
 */
export function credentialAuth(authenticate: (c: SandboxContext) => CredentialRecord | Promise<CredentialRecord>): MiddlewareHandler<SandboxEnv> {
  return async function authenticateCredential(c, next) {
    const record = await authenticate(c);
    c.set('credential', record);
    c.set('tenant', record.tenant);
    c.set('scope', { namespace: c.get('namespace'), tenant: record.tenant });
    await next();
  };
}

/**
 * A vendor's credential kind: what `POST /_sandbox/credentials` and seeds take (`schema`), and the
 * stored record for an input the core has already parsed with it (parsed once, typed), and the
 * demo credentials loaded at start.
 */
export function credentialKind<S extends z.ZodType<Record<string, unknown>>>(
  schema: S,
  toRecord: (input: z.output<S>) => CredentialRecord,
  demo: CredentialRecord[],
): CredentialKind {
  return { createSchema: schema, toRecord: (input) => toRecord(input as z.output<S>), demo };
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return match?.[1];
}

export const sha256Hex = (data: Uint8Array | string): string =>
  createHash('sha256').update(data).digest('hex');

export const hmacSha256Hex = (key: string, data: string): string =>
  createHmac('sha256', key).update(data).digest('hex');

/**
 * Compares two secrets in time independent of where they differ. Both sides are hashed
 * first so that the length of the expected secret does not leak either.
 */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}
