// Reading request bodies safely: a streamed size limit, strict JSON, and no prototype keys.
import type { Context } from 'hono';
import { IncomingMessage } from 'node:http';
import { SandboxError } from './errors.js';
import { wellFormed } from './store.js';

export const DEFAULT_BODY_LIMIT = 10 * 1024 * 1024;
/** Deeper than any vendor payload needs; stops stack-hungry inputs before they reach code. */
export const MAX_JSON_DEPTH = 64;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Why a body was refused, in words any vendor envelope can carry. */
export const BODY_MESSAGES = {
  contentType: 'Content-Type must be application/json',
  empty: 'Request body is empty',
  encoding: 'Request body is not valid UTF-8',
  malformed: 'Request body is not valid JSON',
  forbiddenKey: (key: string) => `Request body contains the forbidden key "${key}"`,
  tooDeep: `Request body is nested more than ${MAX_JSON_DEPTH} levels deep`,
  /** `1e400` parses as Infinity, which no vendor can store (JSON has no Infinity: it would come back as null). */
  numberOutOfRange: (pointer: string) => `Request body has a number out of range at ${pointer || '/'}`,
  tooLarge: (limit: number) => `Request body exceeds the ${limit}-byte limit`,
} as const;

/**
 * The raw body bytes, read once per request and cached on the context (signatures hash the
 * raw bytes; the parser reads the same copy). Stops reading as soon as the limit is passed.
 */
export async function readRawBody(c: Context, limit: number): Promise<Uint8Array> {
  const cached = c.get('rawBody') as Uint8Array | undefined;
  if (cached) return cached;
  const declared = Number(c.req.header('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > limit) {
    throw new SandboxError('PAYLOAD_TOO_LARGE', { message: BODY_MESSAGES.tooLarge(limit) });
  }
  const incoming = untouchedIncoming(c);
  const stream = incoming ? undefined : c.req.raw.body;
  let bytes: Uint8Array = new Uint8Array(0);
  if (incoming) {
    const chunks: Buffer[] = [];
    let size = 0;
    // Leaving the loop early (the throw) destroys the stream, as cancelling the web stream does.
    for await (const chunk of incoming as AsyncIterable<Buffer>) {
      size += chunk.byteLength;
      if (size > limit) throw new SandboxError('PAYLOAD_TOO_LARGE', { message: BODY_MESSAGES.tooLarge(limit) });
      chunks.push(chunk);
    }
    bytes = Buffer.concat(chunks);
  } else if (stream) {
    const chunks: Uint8Array[] = [];
    let size = 0;
    const reader = stream.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel().catch(() => undefined);
        throw new SandboxError('PAYLOAD_TOO_LARGE', { message: BODY_MESSAGES.tooLarge(limit) });
      }
      chunks.push(value);
    }
    bytes = Buffer.concat(chunks);
  }
  c.set('rawBody', bytes);
  return bytes;
}

/**
 * The Node request under @hono/node-server when nothing has read it yet. Reading it directly
 * skips building a web Request, AbortSignal and ReadableStream for every request; once
 * something has wrapped it in a web stream (it listens for 'data'), that stream is used.
 */
function untouchedIncoming(c: Context): IncomingMessage | undefined {
  const incoming = (c.env as { incoming?: unknown } | undefined)?.incoming;
  if (!(incoming instanceof IncomingMessage) || incoming.readableDidRead || incoming.listenerCount('data') > 0) return undefined;
  return incoming;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** True for `application/json` and `application/*+json`, with any parameters. */
export function isJsonContentType(header: string | undefined): boolean {
  if (!header) return false;
  const type = header.split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

/**
 * Parses a JSON request body or throws INVALID_BODY saying why. Keys that could reach an
 * object's prototype are refused outright rather than stripped, so nothing half-parsed is used.
 */
export function parseJsonBody(bytes: Uint8Array, contentType: string | undefined): unknown {
  if (!isJsonContentType(contentType)) throw invalidBody(BODY_MESSAGES.contentType);
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    throw invalidBody(BODY_MESSAGES.encoding);
  }
  if (text.trim() === '') throw invalidBody(BODY_MESSAGES.empty);
  let value: unknown;
  try {
    value = text.includes('\\u') && SURROGATE_ESCAPE.test(text) ? JSON.parse(text, toWellFormed) : JSON.parse(text);
  } catch {
    throw invalidBody(BODY_MESSAGES.malformed);
  }
  checkJsonShape(value);
  return value;
}

/** A `\uD800`-`\uDFFF` escape: JSON can spell a lone UTF-16 surrogate, which no UTF-8 text holds. */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

/**
 * Reads a string's lone surrogates as U+FFFD, as a UTF-8 database stores them: the same text then
 * compares the same, whether it is looked up, stored or echoed, on either engine.
 */
const toWellFormed = (_key: string, value: unknown): unknown => (typeof value === 'string' ? wellFormed(value) : value);

/** Reads and parses the request's JSON body with the given size limit. */
export async function readJsonBody(c: Context, limit: number): Promise<unknown> {
  const bytes = await readRawBody(c, limit);
  return parseJsonBody(bytes, c.req.header('content-type'));
}

function invalidBody(message: string): SandboxError {
  return new SandboxError('INVALID_BODY', { message });
}

/** Walks the parsed value without recursion: refuses forbidden keys, excessive depth and numbers out of range. */
function checkJsonShape(root: unknown): void {
  if (typeof root === 'number' && !Number.isFinite(root)) throw invalidBody(BODY_MESSAGES.numberOutOfRange(''));
  const stack: Array<[unknown, number]> = [[root, 1]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (depth > MAX_JSON_DEPTH) throw invalidBody(BODY_MESSAGES.tooDeep);
    if (Array.isArray(value)) {
      for (const item of value) {
        if (item !== null && typeof item === 'object') stack.push([item, depth + 1]);
        else if (typeof item === 'number' && !Number.isFinite(item)) throw invalidBody(BODY_MESSAGES.numberOutOfRange(pointerToNonFinite(root)));
      }
      continue;
    }
    for (const key of Object.keys(value)) {
      if (FORBIDDEN_KEYS.has(key)) throw invalidBody(BODY_MESSAGES.forbiddenKey(key));
      const child = (value as Record<string, unknown>)[key];
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
      else if (typeof child === 'number' && !Number.isFinite(child)) throw invalidBody(BODY_MESSAGES.numberOutOfRange(pointerToNonFinite(root)));
    }
  }
}

/**
 * The RFC 6901 pointer of the first number out of range in `root` (already known to be at most
 * MAX_JSON_DEPTH deep). Only called to word the error, so the walk above builds no paths.
 */
function pointerToNonFinite(root: unknown): string {
  const stack: Array<[unknown, string]> = [[root, '']];
  while (stack.length > 0) {
    const [value, pointer] = stack.pop()!;
    if (typeof value === 'number' && !Number.isFinite(value)) return pointer;
    if (value === null || typeof value !== 'object') continue;
    for (const [key, child] of Object.entries(value)) stack.push([child, `${pointer}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`]);
  }
  return '';
}
