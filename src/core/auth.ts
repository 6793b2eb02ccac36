// Credential helpers every vendor uses: bearer parsing, hashing, constant-time comparison.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

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
