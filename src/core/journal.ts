// The request journal: every vendor request and response, secrets redacted, bounded, newest first.

export interface JournalEntry {
  id: number;
  time: string;
  vendor: string;
  namespace: string;
  tenant: string | null;
  method: string;
  /** The vendor path with the query as sent. */
  path: string;
  requestHeaders: Record<string, string>;
  requestBody: unknown;
  /** null when the connection was dropped by a fault. */
  status: number | null;
  responseHeaders: Record<string, string>;
  responseBody: unknown;
  durationMs: number;
  /** The catalogue name of the error answered, if any. */
  error: string | null;
  rowErrors: string[];
  /** Id of the fault that fired on this request, if any. */
  fault: string | null;
}

export interface JournalFilter {
  vendor?: string;
  namespace?: string;
  tenant?: string;
  method?: string;
  /** Matches when the journaled path contains it. */
  path?: string;
  status?: number;
  /** ISO time: entries at or after it. */
  since?: string;
  limit?: number;
}

export const REDACTED = '[redacted]';
/** Header names that carry credentials in any vendor. */
const SECRET_HEADER = /authorization|token|secret|signature|api[-_]?key|cookie|password/i;
/** JSON or form keys whose values are credentials (client secrets, issued tokens). */
const SECRET_KEY = /secret|password|token/i;

export function redactHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => {
    out[name] = SECRET_HEADER.test(name) ? REDACTED : value;
  });
  return out;
}

/** Replaces credential-looking values inside a parsed body, at any depth. */
export function redactBody(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactBody);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) out[key] = SECRET_KEY.test(key) && typeof v === 'string' ? REDACTED : redactBody(v);
  return out;
}

/**
 * What the journal may hold, in bytes, before it lets the oldest entries go (besides the entry
 * cap): a load test of 500-row batches would otherwise hold gigabytes. Bodies count at their
 * size; headers and the entry itself count too, so ten thousand small requests are not free.
 */
export const JOURNAL_BYTE_BUDGET = 16 * 1024 * 1024;
/** Roughly what an entry's object, strings and arrays cost besides its bodies and headers. */
const ENTRY_OVERHEAD = 256;

const textDecoder = new TextDecoder();

/**
 * A body kept as it came over the wire. Parsing and redacting it costs as much as the request
 * itself, so it is done when the journal is read, not on every request.
 */
export class RawBody {
  constructor(
    readonly raw: Uint8Array | string,
    readonly contentType: string | undefined,
  ) {}

  get size(): number {
    return typeof this.raw === 'string' ? this.raw.length : this.raw.byteLength;
  }

  describe(): unknown {
    return describeBody(typeof this.raw === 'string' ? this.raw : textDecoder.decode(this.raw), this.contentType);
  }
}

const headersSize = (headers: Record<string, string>): number => {
  let size = 0;
  for (const name in headers) size += name.length + headers[name]!.length;
  return size;
};

/** What one entry counts against the journal's byte budget. */
const entrySize = (e: JournalEntry): number =>
  ENTRY_OVERHEAD +
  e.path.length +
  headersSize(e.requestHeaders) +
  headersSize(e.responseHeaders) +
  (e.requestBody instanceof RawBody ? e.requestBody.size : 0) +
  (e.responseBody instanceof RawBody ? e.responseBody.size : 0);

/** The entry as readers see it: bodies parsed and redacted. */
function described(e: JournalEntry): JournalEntry {
  if (!(e.requestBody instanceof RawBody) && !(e.responseBody instanceof RawBody)) return e;
  return {
    ...e,
    requestBody: e.requestBody instanceof RawBody ? e.requestBody.describe() : e.requestBody,
    responseBody: e.responseBody instanceof RawBody ? e.responseBody.describe() : e.responseBody,
  };
}

/** A body as the journal shows it: parsed JSON or form fields when possible, else text. */
export function describeBody(text: string, contentType: string | undefined): unknown {
  if (text === '') return null;
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  if (type === 'application/x-www-form-urlencoded') {
    return redactBody(Object.fromEntries(new URLSearchParams(text)));
  }
  try {
    return redactBody(JSON.parse(text));
  } catch {
    return text;
  }
}

export class Journal {
  private entries: JournalEntry[] = [];
  private nextId = 1;
  /** What the entries held count against the budget (see entrySize). */
  private bytes = 0;

  constructor(
    public capacity = 10_000,
    public byteBudget = JOURNAL_BYTE_BUDGET,
  ) {}

  /**
   * Takes the next entry id. The observer takes it the moment the handler returns, before any
   * await, so ids follow the order in which requests were processed (and wrote).
   */
  reserveId(): number {
    return this.nextId++;
  }

  add(entry: JournalEntry): JournalEntry {
    const full = entry;
    // Entries are kept in id order even when their bodies finished reading out of order.
    let i = this.entries.length;
    while (i > 0 && this.entries[i - 1]!.id > full.id) i--;
    this.entries.splice(i, 0, full);
    this.bytes += entrySize(full);
    // Oldest go first; trimming in chunks keeps the push O(1) amortised.
    if (this.entries.length > this.capacity + Math.max(1, this.capacity >> 4)) this.dropOldest(this.entries.length - this.capacity);
    if (this.bytes > this.byteBudget) {
      // Down to three quarters of the budget, so a full journal is not trimmed on every request.
      let drop = 0;
      let bytes = this.bytes;
      while (drop < this.entries.length - 1 && bytes > (this.byteBudget * 3) / 4) bytes -= entrySize(this.entries[drop++]!);
      this.dropOldest(drop);
    }
    return full;
  }

  private dropOldest(count: number): void {
    for (let i = 0; i < count; i++) this.bytes -= entrySize(this.entries[i]!);
    this.entries = this.entries.slice(count);
  }

  list(filter: JournalFilter = {}): JournalEntry[] {
    const since = filter.since === undefined ? undefined : Date.parse(filter.since);
    const limit = filter.limit ?? 100;
    const out: JournalEntry[] = [];
    const start = Math.max(0, this.entries.length - this.capacity);
    for (let i = this.entries.length - 1; i >= start && out.length < limit; i--) {
      const e = this.entries[i]!;
      if (filter.vendor !== undefined && e.vendor !== filter.vendor) continue;
      if (filter.namespace !== undefined && e.namespace !== filter.namespace) continue;
      if (filter.tenant !== undefined && e.tenant !== filter.tenant) continue;
      if (filter.method !== undefined && e.method !== filter.method.toUpperCase()) continue;
      if (filter.path !== undefined && !e.path.includes(filter.path)) continue;
      if (filter.status !== undefined && e.status !== filter.status) continue;
      if (since !== undefined && Date.parse(e.time) < since) continue;
      out.push(described(e));
    }
    return out;
  }

  clear(namespace?: string): number {
    const before = this.entries.length;
    this.keep(namespace === undefined ? [] : this.entries.filter((e) => e.namespace !== namespace));
    return before - this.entries.length;
  }

  /** Replaces the entries held, and recounts what they hold against the budget. */
  private keep(entries: JournalEntry[]): void {
    this.entries = entries;
    this.bytes = entries.reduce((sum, e) => sum + entrySize(e), 0);
  }

  /** Everything kept, oldest first (for snapshots). */
  all(): JournalEntry[] {
    return this.entries.slice(-this.capacity).map(described);
  }

  restore(entries: JournalEntry[]): void {
    this.keep(entries.slice(-this.capacity));
    this.nextId = entries.reduce((max, e) => Math.max(max, e.id), 0) + 1;
  }
}
