// Opaque keyset cursors for listings: the last key seen, encoded so clients cannot depend on it.
import { controlError } from './control/errors.js';

export function encodeCursor(key: readonly unknown[]): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/** The key inside a cursor; a cursor we did not make is an INVALID_REQUEST (control API). */
export const CURSOR_INVALID = 'cursor is not valid';

export function decodeCursor(cursor: string, length: number): unknown[] {
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(key) && key.length === length) return key;
  } catch {
    // fall through: not a cursor we made
  }
  throw controlError('INVALID_REQUEST', { message: CURSOR_INVALID });
}
